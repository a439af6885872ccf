import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { channels as channelsApi, resale as api } from '../api/api';
import { ApiError } from '../api/errors';
import type { ChannelTarget, ResaleListing, ResaleWatch } from '../api/types';
import { Field } from '../components/Field';
import { NO_RECIPIENT, RecipientPicker, recipientFields, recipientText, type RecipientChoice } from '../components/RecipientPicker';
import { useToast } from '../components/Toasts';
import { useI18n, type I18n } from '../i18n';
import { subscribeSse } from '../lib/sse';
import { channelTargets } from '../lib/targets';
import { useLoad } from '../lib/useAsync';

/** The attribute names a watch insists on, or "any". */
export function attributesText(i18n: I18n, w: Pick<ResaleWatch, 'model' | 'backdrop' | 'symbol'>): string {
  const parts = [w.model, w.backdrop, w.symbol].filter((part): part is string => part !== null);
  return parts.length ? parts.join(' · ') : i18n.t('resale.anyAttributes');
}

const EMPTY = { giftId: '', maxPrice: '', copies: '1', model: '', backdrop: '', symbol: '' };

function WatchForm({ channels, onAdded }: { channels: ChannelTarget[]; onAdded: () => void }) {
  const { t } = useI18n();
  const toast = useToast();
  const [form, setForm] = useState(EMPTY);
  const [to, setTo] = useState<RecipientChoice>(NO_RECIPIENT);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof EMPTY) => (value: string) => setForm((f) => ({ ...f, [key]: value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // Gift ids are checked as digits here and sent as a string; the server checks the rest.
    const local: Record<string, string> = {};
    if (!/^\d{1,19}$/.test(form.giftId.trim())) local.gift_id = t('resale.giftIdInvalid');
    if (!/^\d+$/.test(form.maxPrice.trim())) local.max_price = t('resale.numberRequired');
    if (!/^\d+$/.test(form.copies.trim())) local.copies = t('resale.numberRequired');
    setErrors(local);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      await api.addWatch({
        gift_id: form.giftId.trim(),
        max_price: Number(form.maxPrice),
        copies: Number(form.copies),
        model: form.model.trim() || null,
        backdrop: form.backdrop.trim() || null,
        symbol: form.symbol.trim() || null,
        ...recipientFields(to),
      });
      toast.success(t('resale.added'));
      setForm(EMPTY);
      setTo(NO_RECIPIENT);
      onAdded();
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) setErrors(err.fields);
      else toast.error(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form-grid" onSubmit={(e) => void submit(e)} aria-label={t('resale.addTitle')} noValidate>
      <Field label={t('resale.giftId')} value={form.giftId} onChange={(e) => set('giftId')(e.target.value)} error={errors.gift_id} inputMode="numeric" required />
      <Field label={t('resale.maxPrice')} value={form.maxPrice} onChange={(e) => set('maxPrice')(e.target.value)} error={errors.max_price} inputMode="numeric" required />
      <Field label={t('resale.copies')} value={form.copies} onChange={(e) => set('copies')(e.target.value)} error={errors.copies} inputMode="numeric" />
      <Field label={t('resale.model')} value={form.model} onChange={(e) => set('model')(e.target.value)} error={errors.model} />
      <Field label={t('resale.backdrop')} value={form.backdrop} onChange={(e) => set('backdrop')(e.target.value)} error={errors.backdrop} />
      <Field label={t('resale.symbol')} value={form.symbol} onChange={(e) => set('symbol')(e.target.value)} error={errors.symbol} />
      <RecipientPicker id="resale-recipient" label={t('resale.recipient')} self={t('resale.toSelf')} channels={channels} value={to} onChange={setTo} errors={errors} />
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {t('resale.add')}
      </button>
    </form>
  );
}

function Listings({ giftId }: { giftId: string }) {
  const i18n = useI18n();
  const { t, num } = i18n;
  const toast = useToast();
  const page = useLoad(() => api.listings(giftId), toast.error);
  if (!page.data) return <p className="muted">{t('common.loading')}</p>;
  if (page.data.listings.length === 0) return <p className="muted">{t('resale.noListings')}</p>;
  return (
    <table className="table" data-testid="resale-listings">
      <thead>
        <tr>
          <th>#</th>
          <th>{t('resale.price')}</th>
          <th>{t('resale.attributes')}</th>
        </tr>
      </thead>
      <tbody>
        {page.data.listings.map((l: ResaleListing) => (
          <tr key={l.slug}>
            <td>{l.title} #{num(l.num)}</td>
            <td>{l.price === null ? t('resale.tonOnly') : `★${num(l.price)}`}</td>
            <td>{attributesText(i18n, l)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ResaleScreen() {
  const i18n = useI18n();
  const { t, num, dateTime } = i18n;
  const toast = useToast();
  const watches = useLoad(api.watches, toast.error);
  const purchases = useLoad(api.purchases, toast.error);
  const channels = useLoad(channelsApi.list, toast.error);
  const [shown, setShown] = useState<string | null>(null);
  // The recipient picker offers my channels: self and person targets are for autobuy only.
  const myChannels = useMemo(() => channelTargets(channels.data ?? []), [channels.data]);
  const reloadPurchases = purchases.reload;
  const reloadWatches = watches.reload;

  // The sniper's purchases show up as they end: the live stream says when one of mine did.
  useEffect(
    () =>
      subscribeSse('/api/gifts/stream', {
        resale_purchase: () => {
          void reloadPurchases();
          void reloadWatches();
        },
      }),
    [reloadPurchases, reloadWatches],
  );

  const remove = async (w: ResaleWatch) => {
    try {
      await api.removeWatch(w.id);
      toast.success(t('resale.deleted'));
      void watches.reload();
    } catch (err) {
      toast.error(err);
    }
  };

  return (
    <div className="screen">
      <div className="screen-head">
        <h1 className="screen-title">{t('nav.resale')}</h1>
      </div>
      <p className="muted">{t('resale.intro')}</p>
      <section className="panel">
        <h2>{t('resale.addTitle')}</h2>
        <WatchForm channels={myChannels} onAdded={() => void watches.reload()} />
      </section>
      <section className="panel">
        <h2>{t('resale.watches')}</h2>
        {!watches.data ? (
          <p className="muted">{t('common.loading')}</p>
        ) : watches.data.length === 0 ? (
          <p className="muted">{t('resale.noWatches')}</p>
        ) : (
          <ul className="list">
            {watches.data.map((w) => (
              <li key={w.id} className="list-row" data-testid="resale-watch">
                <div className="grow">
                  <strong>{t('resale.watchTitle', { gift: String(w.gift_id), price: num(w.max_price) })}</strong>
                  <div className="muted small">
                    {attributesText(i18n, w)} · {t('resale.progress', { bought: w.bought, copies: w.copies })} · {recipientText(w, myChannels, t('resale.toSelf'))}
                  </div>
                  {shown === String(w.gift_id) && <Listings giftId={String(w.gift_id)} />}
                </div>
                <button type="button" className="btn btn-small" onClick={() => setShown(shown === String(w.gift_id) ? null : String(w.gift_id))}>
                  {t('resale.showListings')}
                </button>
                <button type="button" className="btn btn-small btn-danger" onClick={() => void remove(w)}>
                  {t('resale.delete')}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="panel">
        <h2>{t('resale.bought')}</h2>
        {!purchases.data ? (
          <p className="muted">{t('common.loading')}</p>
        ) : purchases.data.length === 0 ? (
          <p className="muted">{t('resale.noPurchases')}</p>
        ) : (
          <ul className="list">
            {purchases.data.map((p) => (
              <li key={p.id} className="list-row" data-testid="resale-purchase">
                <div className="grow">
                  <strong>
                    {p.slug} · ★{num(p.price)}
                  </strong>
                  <div className="muted small">
                    {t(`resale.status.${p.status}`)}
                    {p.error ? ` (${p.error})` : ''} · {recipientText(p, myChannels, t('resale.toSelf'))} · {dateTime(p.updated_at)}
                  </div>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
