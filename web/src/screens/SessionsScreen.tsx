import { useState } from 'react';
import { auth } from '../api/api';
import type { WebSession } from '../api/types';
import { ConfirmDialog } from '../components/Modal';
import { useToast } from '../components/Toasts';
import { useI18n } from '../i18n';
import { useSession } from '../lib/session';
import { useLoad } from '../lib/useAsync';
import { describeUserAgent } from '../lib/userAgent';

export function SessionsScreen() {
  const { t, dateTime } = useI18n();
  const toast = useToast();
  const { logout } = useSession();
  const list = useLoad(auth.sessions, toast.error);
  const [revoking, setRevoking] = useState<WebSession | null>(null);

  const revoke = async (s: WebSession) => {
    try {
      await auth.revoke(s.id);
      toast.success(t('sessions.revoked'));
      if (s.current) await logout();
      else void list.reload();
    } catch (err) {
      toast.error(err);
    } finally {
      setRevoking(null);
    }
  };

  return (
    <div className="screen">
      <div className="screen-head">
        <h1 className="screen-title">{t('nav.sessions')}</h1>
        <button type="button" className="btn" onClick={() => void logout()}>
          {t('nav.logout')}
        </button>
      </div>
      <section className="panel">
        {!list.data ? (
          <p className="muted">{t('common.loading')}</p>
        ) : (
          <ul className="list">
            {list.data.map((s) => (
              <li key={s.id} className="list-row" data-testid="session-row">
                <div className="grow">
                  <strong title={s.user_agent ?? undefined}>{s.user_agent ? describeUserAgent(s.user_agent) : t('sessions.unknownAgent')}</strong>
                  {s.current && <span className="badge badge-limited"> {t('sessions.current')}</span>}
                  <div className="muted small">
                    {s.ip ?? '—'} · {t('sessions.created', { date: dateTime(s.created_at) })} · {t('sessions.expires', { date: dateTime(s.expires_at) })}
                  </div>
                </div>
                <button type="button" className="btn btn-small btn-danger" onClick={() => setRevoking(s)}>
                  {t('sessions.revoke')}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      {revoking && (
        <ConfirmDialog
          title={t('sessions.revokeTitle')}
          text={revoking.current ? t('sessions.revokeCurrent') : t('sessions.revokeText')}
          confirmLabel={t('sessions.revoke')}
          danger
          onConfirm={() => void revoke(revoking)}
          onCancel={() => setRevoking(null)}
        />
      )}
    </div>
  );
}
