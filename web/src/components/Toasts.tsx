import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api/errors';
import { useI18n, type I18n } from '../i18n';

export interface Toast {
  id: number;
  kind: 'error' | 'success' | 'info';
  text: string;
}

interface ToastApi {
  show: (kind: Toast['kind'], text: string) => void;
  error: (err: unknown) => void;
  success: (text: string) => void;
}

const Ctx = createContext<ToastApi | null>(null);

/** A readable message for any thrown value, translated when the API code is known. */
export function errorText(i18n: I18n, err: unknown): string {
  if (err instanceof ApiError) {
    if (err.retryAfterSecs !== undefined && (err.status === 423 || err.status === 429))
      return i18n.t(err.status === 423 ? 'error.locked' : 'error.rateLimited', { time: formatWait(i18n, err.retryAfterSecs) });
    const known = i18n.tk(`error.${err.code}`);
    if (known !== `error.${err.code}`) return known;
    return err.message;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/** "2 min 5 s" style wait time. */
export function formatWait(i18n: I18n, secs: number): string {
  const s = Math.max(0, Math.ceil(secs));
  const m = Math.floor(s / 60);
  const rest = s % 60;
  if (m === 0) return i18n.t('time.secs', { s: rest });
  if (rest === 0) return i18n.t('time.mins', { m });
  return i18n.t('time.minsSecs', { m, s: rest });
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const i18n = useI18n();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((t) => t.id !== id)), []);
  const show = useCallback(
    (kind: Toast['kind'], text: string) => {
      const id = next.current++;
      setToasts((ts) => [...ts.slice(-4), { id, kind, text }]);
      window.setTimeout(() => dismiss(id), kind === 'error' ? 8000 : 4000);
    },
    [dismiss],
  );
  const api = useMemo<ToastApi>(
    () => ({
      show,
      error: (err) => show('error', errorText(i18n, err)),
      success: (text) => show('success', text),
    }),
    [show, i18n],
  );
  return (
    <Ctx.Provider value={api}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : undefined}>
            <span>{t.text}</span>
            <button type="button" className="icon-btn" aria-label={i18n.t('common.close')} onClick={() => dismiss(t.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </Ctx.Provider>
  );
}

export function useToast(): ToastApi {
  const api = useContext(Ctx);
  if (!api) throw new Error('useToast outside ToastProvider');
  return api;
}
