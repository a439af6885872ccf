import { useState, type FormEvent, type KeyboardEvent } from 'react';
import { auth } from '../api/api';
import { ApiError } from '../api/errors';
import { Checkbox, Field } from '../components/Field';
import { formatWait, useToast } from '../components/Toasts';
import { useI18n } from '../i18n';
import { useSession } from '../lib/session';
import { useNow } from '../lib/useAsync';
import { validateCredentials, type FieldErrors } from '../lib/validation';
import { GiftIcon } from '../components/Icons';

type Mode = 'login' | 'register';
const MODES: readonly Mode[] = ['login', 'register'];

export function AuthScreen() {
  const i18n = useI18n();
  const { t, tk } = i18n;
  const toast = useToast();
  const { signedIn } = useSession();
  const [mode, setMode] = useState<Mode>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(true);
  const [errors, setErrors] = useState<FieldErrors<'username' | 'password'>>({});
  const [serverFields, setServerFields] = useState<Record<string, string>>({});
  const [lockedUntil, setLockedUntil] = useState<{ at: number; secs: number; locked: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const now = useNow(lockedUntil !== null);
  // `now` may predate the lockout (the clock only ticks while one is shown), hence the min.
  const waitSecs = lockedUntil ? Math.max(0, Math.min(lockedUntil.secs, Math.ceil((lockedUntil.at - now) / 1000))) : 0;
  const locked = lockedUntil !== null && waitSecs > 0;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found = validateCredentials({ username, password }, mode === 'register');
    setErrors(found);
    setServerFields({});
    if (Object.keys(found).length > 0 || locked) return;
    setBusy(true);
    try {
      const creds = { username: username.trim(), password, remember };
      const user = mode === 'login' ? await auth.login(creds) : await auth.register(creds);
      setLockedUntil(null);
      signedIn(user);
    } catch (err) {
      if (err instanceof ApiError && err.retryAfterSecs !== undefined && (err.status === 423 || err.status === 429)) {
        setLockedUntil({ at: Date.now() + err.retryAfterSecs * 1000, secs: err.retryAfterSecs, locked: err.status === 423 });
      } else if (err instanceof ApiError && Object.keys(err.fields).length > 0) {
        setServerFields(err.fields);
      } else if (err instanceof ApiError && err.status === 401) {
        setServerFields({ password: t('auth.badCredentials') });
      } else {
        toast.error(err);
      }
    } finally {
      setBusy(false);
    }
  };

  const switchMode = (m: Mode) => {
    setMode(m);
    setErrors({});
    setServerFields({});
  };

  // The tabs follow the WAI-ARIA pattern: one tab stop, arrow keys (and Home/End) move
  // between the tabs and select them.
  const onTabKey = (event: KeyboardEvent<HTMLDivElement>) => {
    const index = MODES.indexOf(mode);
    const next =
      event.key === 'ArrowRight' ? (index + 1) % MODES.length
      : event.key === 'ArrowLeft' ? (index + MODES.length - 1) % MODES.length
      : event.key === 'Home' ? 0
      : event.key === 'End' ? MODES.length - 1
      : null;
    const target = next === null ? undefined : MODES[next];
    if (target === undefined) return;
    event.preventDefault();
    switchMode(target);
    document.getElementById(`auth-tab-${target}`)?.focus();
  };

  const fieldError = (name: 'username' | 'password') => serverFields[name] ?? (errors[name] ? tk(errors[name]!) : undefined);

  return (
    <main className="auth">
      <div className="auth-card card">
        <h1 className="brand">
          <GiftIcon size={28} /> GiftBuyer
        </h1>
        <div className="tabs" role="tablist" onKeyDown={onTabKey}>
          {MODES.map((m) => (
            <button
              key={m}
              type="button"
              role="tab"
              id={`auth-tab-${m}`}
              aria-selected={mode === m}
              tabIndex={mode === m ? 0 : -1}
              className={`tab${mode === m ? ' active' : ''}`}
              onClick={() => switchMode(m)}
            >
              {m === 'login' ? t('auth.login') : t('auth.register')}
            </button>
          ))}
        </div>
        <form onSubmit={submit} noValidate>
          <Field label={t('auth.username')} name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} error={fieldError('username')} autoFocus />
          <Field
            label={t('auth.password')}
            name="password"
            type="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={fieldError('password')}
            hint={mode === 'register' ? t('auth.passwordHint') : undefined}
          />
          <Checkbox label={t('auth.remember')} name="remember" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
          {locked && (
            <p className="notice notice-error" role="alert">
              {t(lockedUntil.locked ? 'error.locked' : 'error.rateLimited', { time: formatWait(i18n, waitSecs) })}
            </p>
          )}
          <button type="submit" className="btn btn-primary btn-block" disabled={busy || locked}>
            {mode === 'login' ? t('auth.login') : t('auth.createAccount')}
          </button>
        </form>
      </div>
    </main>
  );
}
