import { useEffect, useId, useState, type FormEvent } from 'react';
import { accounts as accountsApi, channels as channelsApi, gifts as giftsApi } from '../api/api';
import type { Account, BuyResult, Gift, GiftKind, Target } from '../api/types';
import { Modal } from '../components/Modal';
import { errorText } from '../components/Toasts';
import { useI18n } from '../i18n';
import { Link } from '../lib/router';
import { targetLabel } from '../lib/targets';
import { Stars } from '../components/Icons';

export function BuyDialog({ gift, onClose }: { gift: Gift; onClose: () => void }) {
  const i18n = useI18n();
  const { t, num } = i18n;
  const id = useId();
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [targets, setTargets] = useState<Target[] | null>(null);
  const [accountId, setAccountId] = useState<number | ''>('');
  const [targetId, setTargetId] = useState<number | ''>('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<BuyResult | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    Promise.all([accountsApi.list(), channelsApi.list(), channelsApi.preview(gift.price, gift.supply ?? 0, { id: gift.id, kinds: giftKinds(gift) }).catch(() => null)])
      .then(([a, list, preview]) => {
        setAccounts(a);
        setTargets(list);
        const usable = a.find((x) => x.logged_in && x.telegram_id !== null);
        if (usable?.telegram_id != null) setAccountId(usable.telegram_id);
        // The target autobuy would choose comes first; any other of mine may be picked.
        const best = preview?.best ?? list[0];
        if (best) setTargetId(best.id);
      })
      .catch((err: unknown) => setError(errorText(i18n, err)));
  }, [gift, i18n]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const target = targets?.find((x) => x.id === targetId);
    if (accountId === '' || !target) return;
    setBusy(true);
    setError(null);
    try {
      setResult(await giftsApi.buy(gift.id, accountId, target));
    } catch (err) {
      setError(errorText(i18n, err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title={t('buy.title', { gift: gift.title ?? `#${gift.id}` })} onClose={onClose}>
      <p>
        <Stars value={num(gift.price)} />
      </p>
      {accounts && accounts.length === 0 && <p className="notice">{t('buy.noAccounts')}</p>}
      {targets && targets.length === 0 && (
        <p className="notice">
          {t('buy.noTargets')} <Link href="/channels">{t('nav.targets')}</Link>
        </p>
      )}
      {result ? (
        <div className={`notice ${result.outcome === 'bought' ? 'notice-success' : 'notice-error'}`} role="status" data-testid="buy-result">
          <strong>{result.outcome === 'bought' ? t('buy.bought') : t('buy.notBought', { outcome: result.outcome })}</strong>
          {result.error && <div>{result.error}</div>}
          <div className="small">
            <Link href={`/purchases?run=${result.run_id}`}>{t('buy.seeRun', { id: result.run_id })}</Link>
          </div>
        </div>
      ) : (
        <form onSubmit={submit}>
          <div className="field">
            <label htmlFor={`${id}-acc`}>{t('buy.account')}</label>
            <select id={`${id}-acc`} value={accountId} onChange={(e) => setAccountId(Number(e.target.value))} required>
              {accounts?.filter((a) => a.telegram_id !== null).map((a) => (
                <option key={a.id} value={a.telegram_id!} disabled={!a.logged_in}>
                  {a.username ? `@${a.username}` : a.masked_phone}
                  {a.stars !== null ? ` · ★ ${num(a.stars)}` : ''}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-ch`}>{t('buy.target')}</label>
            <select id={`${id}-ch`} value={targetId} onChange={(e) => setTargetId(Number(e.target.value))} required>
              {targets?.map((c) => (
                <option key={c.id} value={c.id}>
                  {targetLabel(c, t)}
                </option>
              ))}
            </select>
          </div>
          {error && (
            <p className="notice notice-error" role="alert">
              {error}
            </p>
          )}
          <div className="actions">
            <button type="button" className="btn" onClick={onClose}>
              {t('common.cancel')}
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy || accountId === '' || targetId === ''} aria-busy={busy}>
              {t('buy.confirm', { price: num(gift.price) })}
            </button>
          </div>
        </form>
      )}
      {result && (
        <div className="actions">
          <button type="button" className="btn btn-primary" onClick={onClose} data-autofocus>
            {t('common.close')}
          </button>
        </div>
      )}
    </Modal>
  );
}

/** The kinds of a gift that targets' exclude lists select on. */
export function giftKinds(gift: Gift): GiftKind[] {
  const kinds: GiftKind[] = [];
  if (gift.birthday) kinds.push('birthday');
  if (gift.require_premium) kinds.push('premium_only');
  return kinds;
}
