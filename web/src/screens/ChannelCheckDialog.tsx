import { useEffect, useState } from 'react';
import { accounts as accountsApi, channels as api } from '../api/api';
import type { Account, ChannelCheck, ChannelTarget } from '../api/types';
import { Modal } from '../components/Modal';
import { errorText } from '../components/Toasts';
import { useI18n } from '../i18n';
import { channelLabel } from '../lib/targets';

/** Asks Telegram, through each of my accounts, whether gifts can be bought onto a channel target (the only kind with a check). */
export function ChannelCheckDialog({ channel, onClose, onChecked }: { channel: ChannelTarget; onClose: () => void; onChecked: (check: ChannelCheck) => void }) {
  const i18n = useI18n();
  const { t, tk } = i18n;
  const [result, setResult] = useState<ChannelCheck | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [accounts, setAccounts] = useState<Account[]>([]);
  useEffect(() => {
    accountsApi.list().then(setAccounts).catch(() => undefined);
  }, []);
  const accountLabel = (id: number, username: string | null) =>
    username ? `@${username}` : (accounts.find((a) => a.telegram_id === id)?.masked_phone ?? String(id));
  useEffect(() => {
    api
      .check(channel.id)
      .then((r) => {
        setResult(r);
        onChecked(r);
      })
      .catch((err: unknown) => setError(errorText(i18n, err)));
  }, [channel, i18n, onChecked]);
  return (
    <Modal title={t('check.title', { name: channelLabel(channel) })} onClose={onClose}>
      {!result && !error && <p className="muted">{t('check.running')}</p>}
      {error && (
        <p className="notice notice-error" role="alert">
          {error}
        </p>
      )}
      {result && (
        <div data-testid="check-result">
          <p className={`notice ${result.usable ? 'notice-success' : 'notice-error'}`}>{result.usable ? t('check.usable') : t('check.unusable')}</p>
          {result.telegram_title && <p className="small muted">{t('check.telegramTitle', { title: result.telegram_title })}</p>}
          {result.takes_star_gifts !== null && (
            <p className={`small ${result.takes_star_gifts ? 'muted' : 'warn'}`} data-testid="check-star-gifts">
              {result.takes_star_gifts ? t('check.takesGifts') : t('check.closedToGifts')}
            </p>
          )}
          <ul className="list">
            {result.accounts.map((a) => (
              <li key={a.account_id} className="list-row">
                <span className="grow">{accountLabel(a.account_id, a.username)}</span>
                <span className={`badge status-${a.status === 'can_post' ? 'bought' : 'failed'}`}>{tk(`check.status.${a.status}`)}</span>
                {a.message && <div className="small muted">{a.message}</div>}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="actions">
        <button type="button" className="btn" onClick={onClose}>
          {t('common.close')}
        </button>
      </div>
    </Modal>
  );
}
