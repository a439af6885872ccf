import { useRef, useState } from 'react';
import { accounts as api } from '../api/api';
import type { Account, AccountRefreshEvent, ApiProfile } from '../api/types';
import { ConfirmDialog } from '../components/Modal';
import { useToast } from '../components/Toasts';
import { useI18n } from '../i18n';
import { AddAccountWizard } from './AddAccountWizard';
import { Stars } from '../components/Icons';

const STAGES = ['connect', 'profile', 'stars', 'premium', 'save'] as const;

interface Progress {
  stages: string[];
  done: boolean;
  error?: string;
}

export function AccountsPanel({
  accounts,
  profiles,
  onChange,
  onUpdated,
}: {
  accounts: Account[];
  profiles: ApiProfile[];
  onChange: () => void;
  onUpdated: (a: Account) => void;
}) {
  const { t } = useI18n();
  const toast = useToast();
  const [wizard, setWizard] = useState(false);
  const [deleting, setDeleting] = useState<Account | null>(null);

  const remove = async (a: Account) => {
    try {
      await api.remove(a.id);
      onChange();
    } catch (err) {
      toast.error(err);
    } finally {
      setDeleting(null);
    }
  };

  return (
    <section className="panel" aria-labelledby="accounts-h">
      <div className="panel-head">
        <h2 id="accounts-h">{t('accounts.title')}</h2>
        <button type="button" className="btn btn-primary" onClick={() => setWizard(true)}>
          {t('accounts.add')}
        </button>
      </div>
      {accounts.length === 0 ? (
        <p className="empty">{t('accounts.empty')}</p>
      ) : (
        <div className="cards">
          {accounts.map((a) => (
            <AccountCard key={a.id} account={a} profile={profiles.find((p) => p.id === a.api_profile_id)} onUpdated={onUpdated} onDelete={() => setDeleting(a)} />
          ))}
        </div>
      )}
      {wizard && (
        <AddAccountWizard
          profiles={profiles}
          onClose={() => setWizard(false)}
          onDone={() => {
            onChange();
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={t('accounts.deleteTitle')}
          text={t('accounts.deleteText', { name: deleting.username ? `@${deleting.username}` : deleting.masked_phone })}
          confirmLabel={t('common.delete')}
          danger
          onConfirm={() => void remove(deleting)}
          onCancel={() => setDeleting(null)}
        />
      )}
    </section>
  );
}

function AccountCard({
  account: a,
  profile,
  onUpdated,
  onDelete,
}: {
  account: Account;
  profile: ApiProfile | undefined;
  onUpdated: (a: Account) => void;
  onDelete: () => void;
}) {
  const { t, tk, num, date, dateTime } = useI18n();
  const toast = useToast();
  const [progress, setProgress] = useState<Progress | null>(null);
  const running = useRef(false);

  const refresh = async () => {
    if (running.current) return;
    running.current = true;
    setProgress({ stages: [], done: false });
    try {
      await api.refresh(a.id, (e: AccountRefreshEvent) => {
        if (e.account) onUpdated(e.account);
        setProgress((p) => ({
          stages: [...(p?.stages ?? []), e.stage],
          done: e.stage === 'done' || e.stage === 'error',
          error: e.error ? e.error.message : p?.error,
        }));
        if (e.error) toast.error(new Error(e.error.message));
      });
    } catch (err) {
      toast.error(err);
      setProgress((p) => ({ stages: p?.stages ?? [], done: true, error: String(err) }));
    } finally {
      running.current = false;
    }
  };

  const busy = progress !== null && !progress.done;
  const reached = new Set(progress?.stages ?? []);
  return (
    <article className="card account-card" data-testid="account-card">
      <header className="account-head">
        <div className="avatar" aria-hidden="true">
          {(a.first_name || a.username || 'TG').slice(0, 1).toUpperCase()}
        </div>
        <div className="grow">
          <strong>{a.first_name || (a.username ? `@${a.username}` : t('accounts.noUsername'))}</strong>
          <div className="muted small">
            {a.first_name && a.username ? `@${a.username} · ` : ''}
            {a.masked_phone}
          </div>
        </div>
        {!a.logged_in && <span className="badge badge-warn">{t('accounts.loggedOut')}</span>}
      </header>
      <dl className="facts">
        <dt>{t('accounts.premium')}</dt>
        <dd>
          {a.premium ? (
            <span className="badge badge-premium">★ {a.premium_until ? t('accounts.premiumUntil', { date: date(a.premium_until) }) : t('common.yes')}</span>
          ) : (
            t('common.no')
          )}
        </dd>
        <dt>{t('accounts.stars')}</dt>
        <dd>{a.stars !== null ? <Stars value={num(a.stars)} /> : '—'}</dd>
        <dt>{t('accounts.lastRefresh')}</dt>
        <dd>{a.stars_refreshed_at ? dateTime(a.stars_refreshed_at) : t('accounts.never')}</dd>
        {profile && (
          <>
            <dt>{t('accounts.profile')}</dt>
            <dd>{profile.name}</dd>
          </>
        )}
      </dl>
      {progress && (
        <ol className="stages" aria-label={t('accounts.refreshProgress')} aria-live="polite">
          {STAGES.map((s) => (
            <li key={s} className={reached.has(s) ? 'stage-done' : ''}>
              {tk(`stage.${s}`)}
            </li>
          ))}
          <li className={progress.error ? 'stage-error' : progress.done ? 'stage-done' : ''}>
            {progress.error ? t('stage.error') : progress.done ? t('stage.done') : '…'}
          </li>
        </ol>
      )}
      <div className="actions">
        <button type="button" className="btn btn-small" onClick={() => void refresh()} disabled={busy} aria-busy={busy}>
          {busy ? t('accounts.refreshing') : t('common.refresh')}
        </button>
        <button type="button" className="btn btn-small btn-danger" onClick={onDelete}>
          {t('common.delete')}
        </button>
      </div>
    </article>
  );
}
