import { useEffect, useId, useState, type FormEvent } from 'react';
import { accounts as accountsApi, channels as channelsApi, gifts as giftsApi } from '../api/api';
import type { Account, BuyResult, ChannelTarget, Gift, GiftKind } from '../api/types';
import { Modal } from '../components/Modal';
import { errorText } from '../components/Toasts';
import { useI18n } from '../i18n';
import { Link } from '../lib/router';
import { channelTargets, isChannelTarget } from '../lib/targets';
import { Stars } from '../components/Icons';

export function channelLabel(c: ChannelTarget): string {
  return c.title ? `${c.title} (${c.channel_id})` : String(c.channel_id);
}

export function BuyDialog({ gift, onClose }: { gift: Gift; onClose: () => void }) {
  const i18n = useI18n();
  const { t, num } = i18n;
  const id = useId();
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [channels, setChannels] = useState<ChannelTarget[] | null>(null);
  const [accountId, setAccountId] = useState<number | ''>('');
  const [channelId, setChannelId] = useState<number | ''>('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<BuyResult | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    Promise.all([accountsApi.list(), channelsApi.list(), channelsApi.preview(gift.price, gift.supply ?? 0, { id: gift.id, kinds: giftKinds(gift) }).catch(() => null)])
      .then(([a, targets, preview]) => {
        // A manual buy goes onto a channel only: self and person targets are autobuy's.
        const c = channelTargets(targets);
        setAccounts(a);
        setChannels(c);
        const usable = a.find((x) => x.logged_in && x.telegram_id !== null);
        if (usable?.telegram_id != null) setAccountId(usable.telegram_id);
        const best = preview?.best && isChannelTarget(preview.best) ? preview.best : c[0];
        if (best) setChannelId(best.channel_id);
      })
      .catch((err: unknown) => setError(errorText(i18n, err)));
  }, [gift, i18n]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (accountId === '' || channelId === '') return;
    setBusy(true);
    setError(null);
    try {
      setResult(await giftsApi.buy(gift.id, accountId, channelId));
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
      {channels && channels.length === 0 && (
        <p className="notice">
          {t('buy.noChannels')} <Link href="/channels">{t('nav.targets')}</Link>
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
            <label htmlFor={`${id}-ch`}>{t('buy.channel')}</label>
            <select id={`${id}-ch`} value={channelId} onChange={(e) => setChannelId(Number(e.target.value))} required>
              {channels?.map((c) => (
                <option key={c.id} value={c.channel_id}>
                  {channelLabel(c)}
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
            <button type="submit" className="btn btn-primary" disabled={busy || accountId === '' || channelId === ''} aria-busy={busy}>
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
