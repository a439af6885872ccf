import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { auctions as api, channels as channelsApi, gifts as giftsApi } from '../api/api';
import { ApiError } from '../api/errors';
import type { AuctionBid, AuctionLiveState, AuctionPlan, ChannelTarget, Gift } from '../api/types';
import { Field } from '../components/Field';
import { NO_RECIPIENT, RecipientPicker, recipientFields, recipientText, type RecipientChoice } from '../components/RecipientPicker';
import { ConfirmDialog } from '../components/Modal';
import { useToast } from '../components/Toasts';
import { useI18n, type I18n } from '../i18n';
import { sseToAction } from '../lib/giftStream';
import { subscribeSse } from '../lib/sse';
import { channelTargets } from '../lib/targets';
import { useLoad, useNow } from '../lib/useAsync';

/** How often a plan's live auction state is read again while the view is open. */
export const STATE_REFRESH_MS = 5000;
/** How many of the top bid levels a plan shows. */
const TOP_LEVELS = 5;

/** A gift's name from the catalog, or its id. */
function giftName(i18n: I18n, giftId: string, gifts: Gift[]): string {
  const gift = gifts.find((g) => String(g.id) === giftId);
  return gift?.title ?? i18n.t('gifts.untitled', { id: giftId });
}

/** "1:05:09" or "4:07": the time left until `at`, never negative. */
export function countdown(at: number, nowSecs: number): string {
  const left = Math.max(0, Math.floor(at - nowSecs));
  const h = Math.floor(left / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = String(left % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** The gift id asked for in the address (`/auctions?gift=<id>`), as the Gifts screen links it. */
function giftFromAddress(): string {
  const gift = new URLSearchParams(window.location.search).get('gift') ?? '';
  return /^\d{1,19}$/.test(gift) ? gift : '';
}

function BudgetSection({ budget, onSaved }: { budget: number; onSaved: (budget: number) => void }) {
  const { t, num } = useI18n();
  const toast = useToast();
  const [value, setValue] = useState(String(budget));
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  // Follow the saved budget when it changes, during render rather than in an effect, which
  // could overwrite what was typed before it ran.
  const [synced, setSynced] = useState(budget);
  if (synced !== budget) {
    setSynced(budget);
    setValue(String(budget));
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!/^\d+$/.test(value.trim())) return setError(t('auctions.numberRequired'));
    setError(undefined);
    setBusy(true);
    try {
      const saved = await api.setBudget(Number(value.trim()));
      toast.success(t('auctions.budgetSaved'));
      onSaved(saved);
    } catch (err) {
      if (err instanceof ApiError && err.fields.budget) setError(err.fields.budget);
      else toast.error(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="budget-h">
      <h2 id="budget-h">{t('auctions.budgetTitle')}</h2>
      <p className="notice" data-testid="budget-warning">
        {t('auctions.budgetWarning')}
      </p>
      <p role="status" className={budget === 0 ? 'muted' : 'warn'} data-testid="budget-state">
        {budget === 0 ? t('auctions.budgetOff') : t('auctions.budgetOn', { budget: num(budget) })}
      </p>
      <form className="inline-form" onSubmit={(e) => void submit(e)} noValidate>
        <Field label={t('auctions.budget')} value={value} onChange={(e) => setValue(e.target.value)} error={error} inputMode="numeric" />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {t('common.save')}
        </button>
      </form>
    </section>
  );
}

const EMPTY = { maxBid: '', wanted: '1' };

function PlanForm({ gifts, channels, preselected, onAdded }: { gifts: Gift[]; channels: ChannelTarget[]; preselected: string; onAdded: () => void }) {
  const { t, num } = useI18n();
  const toast = useToast();
  const [giftId, setGiftId] = useState(preselected);
  const [form, setForm] = useState(EMPTY);
  const [to, setTo] = useState<RecipientChoice>(NO_RECIPIENT);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof EMPTY) => (value: string) => setForm((f) => ({ ...f, [key]: value }));
  const auctionGifts = gifts.filter((g) => g.auction);
  // A gift asked for by its id stays choosable before the catalog has loaded (or if it lags).
  const choices = auctionGifts.map((g) => ({ id: String(g.id), label: `${g.title ?? t('gifts.untitled', { id: g.id })} · ★${num(g.price)}` }));
  if (giftId !== '' && !choices.some((c) => c.id === giftId)) choices.push({ id: giftId, label: t('gifts.untitled', { id: giftId }) });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const local: Record<string, string> = {};
    if (giftId === '') local.gift_id = t('auctions.giftRequired');
    if (!/^\d+$/.test(form.maxBid.trim())) local.max_bid = t('auctions.numberRequired');
    if (!/^\d+$/.test(form.wanted.trim())) local.wanted = t('auctions.numberRequired');
    setErrors(local);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      await api.addPlan({
        gift_id: giftId,
        max_bid: Number(form.maxBid.trim()),
        wanted: Number(form.wanted.trim()),
        ...recipientFields(to),
      });
      toast.success(t('auctions.added'));
      setForm(EMPTY);
      setTo(NO_RECIPIENT);
      setGiftId('');
      onAdded();
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) setErrors(err.fields);
      else toast.error(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form-grid" onSubmit={(e) => void submit(e)} aria-label={t('auctions.addTitle')} noValidate>
      <div className={`field${errors.gift_id ? ' field-invalid' : ''}`}>
        <label htmlFor="auction-gift">{t('auctions.gift')}</label>
        <select id="auction-gift" value={giftId} onChange={(e) => setGiftId(e.target.value)} aria-invalid={errors.gift_id ? true : undefined}>
          <option value="">{t('auctions.chooseGift')}</option>
          {choices.map((c) => (
            <option key={c.id} value={c.id}>
              {c.label}
            </option>
          ))}
        </select>
        {auctionGifts.length === 0 && <div className="field-hint">{t('auctions.noAuctionGifts')}</div>}
        {errors.gift_id && (
          <div className="field-error" role="alert">
            {errors.gift_id}
          </div>
        )}
      </div>
      <Field label={t('auctions.maxBid')} value={form.maxBid} onChange={(e) => set('maxBid')(e.target.value)} error={errors.max_bid} inputMode="numeric" required />
      <Field label={t('auctions.wanted')} value={form.wanted} onChange={(e) => set('wanted')(e.target.value)} error={errors.wanted} inputMode="numeric" />
      <RecipientPicker id="auction-recipient" label={t('auctions.recipient')} self={t('auctions.toSelf')} channels={channels} value={to} onChange={setTo} errors={errors} />
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {t('auctions.add')}
      </button>
    </form>
  );
}

/** Where my bid stands, in words. */
function standingText(i18n: I18n, state: AuctionLiveState): string {
  const { t, num } = i18n;
  const my = state.my;
  if (my.bid === null) return t('auctions.myNoBid');
  const parts = [t('auctions.myBid', { amount: num(my.bid) })];
  if (my.returned) parts.push(t('auctions.returned'));
  else if (my.position === null) parts.push(t('auctions.positionUnknown'));
  else {
    const slots = Math.min(state.gifts_per_round ?? 0, state.gifts_left ?? 0);
    parts.push(my.position <= slots ? t('auctions.winning', { pos: my.position }) : t('auctions.outbid', { pos: my.position }));
  }
  return parts.join(' · ');
}

/** A plan's auction as my account sees it now, read again every few seconds. */
/** A plan's live auction, read every few seconds and at once after each of my bids (`bids`). */
function LiveState({ plan, bids }: { plan: AuctionPlan; bids: number }) {
  const i18n = useI18n();
  const { t, num, dateTime } = i18n;
  const [state, setState] = useState<AuctionLiveState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const running = state?.status === 'running';
  const now = useNow(running) / 1000;

  // Polling is an effect by nature: it starts with the row and stops when the row (or the
  // view) goes away. Failures show in the row instead of a toast every few seconds.
  useEffect(() => {
    let alive = true;
    const read = () =>
      api.state(plan.gift_id).then(
        (next) => {
          if (!alive) return;
          setState(next);
          setError(null);
        },
        (err: unknown) => {
          if (alive) setError(err instanceof Error ? err.message : String(err));
        },
      );
    void read();
    const id = window.setInterval(() => void read(), STATE_REFRESH_MS);
    return () => {
      alive = false;
      window.clearInterval(id);
    };
  }, [plan.gift_id, bids]);

  if (!state) {
    return <p className="muted small">{error ? t('auctions.stateError', { reason: error }) : t('common.loading')}</p>;
  }
  const won = t('auctions.acquired', { n: state.my.acquired, wanted: plan.wanted });
  return (
    <div className="small" data-testid="auction-state">
      {error && <p className="muted">{t('auctions.stateError', { reason: error })}</p>}
      {state.status === 'finished' ? (
        <p>
          {t('auctions.finished')} {won}
        </p>
      ) : (
        <>
          <p>
            {t('auctions.round', { round: state.current_round ?? 0, total: state.total_rounds ?? 0 })} · {t('auctions.giftsLeft', { n: num(state.gifts_left ?? 0) })} ·{' '}
            {t('auctions.minBid', { amount: num(state.min_bid ?? 0) })} ·{' '}
            {state.start_date !== null && state.start_date > now
              ? t('auctions.startsAt', { date: dateTime(state.start_date) })
              : t('auctions.nextRound', { time: countdown(state.next_round_at ?? now, now) })}
          </p>
          <p data-testid="auction-my-bid">
            {standingText(i18n, state)} · {won}
          </p>
          <div className="muted">
            {t('auctions.topBids')}:{' '}
            {state.levels.length === 0
              ? t('auctions.noLevels')
              : state.levels
                  .slice(0, TOP_LEVELS)
                  .map((l) => `#${l.pos} ★${num(l.amount)}`)
                  .join(' · ')}
          </div>
        </>
      )}
    </div>
  );
}

function BidRow({ bid, gifts, channels }: { bid: AuctionBid; gifts: Gift[]; channels: ChannelTarget[] }) {
  const i18n = useI18n();
  const { t, tk, num, dateTime } = i18n;
  return (
    <li className="list-row" data-testid="auction-bid">
      <div className="grow">
        <strong>{t('auctions.bidTitle', { gift: giftName(i18n, bid.gift_id, gifts), total: num(bid.total) })}</strong>
        <div className="muted small">
          <span className={bid.status === 'failed' ? 'bad' : bid.status === 'bought' ? 'ok' : bid.status === 'unknown' ? 'warn' : ''}>{tk(`auctions.status.${bid.status}`)}</span>
          {bid.error ? ` (${bid.error})` : ''}
          {bid.standing !== null ? ` · ${t('auctions.raisedFrom', { standing: num(bid.standing) })}` : ''} · {recipientText(bid, channels, t('auctions.toSelf'))} · {dateTime(bid.updated_at)}
        </div>
      </div>
    </li>
  );
}

export function AuctionsScreen() {
  const i18n = useI18n();
  const { t, num } = i18n;
  const toast = useToast();
  const budget = useLoad(api.budget, toast.error);
  const plans = useLoad(api.plans, toast.error);
  const bids = useLoad(api.bids, toast.error);
  const gifts = useLoad(giftsApi.list, toast.error);
  const channels = useLoad(channelsApi.list, toast.error);
  const [preselected] = useState(giftFromAddress);
  const [deleting, setDeleting] = useState<AuctionPlan | null>(null);
  // The recipient picker offers my channels: self and person targets are for autobuy only.
  const myChannels = useMemo(() => channelTargets(channels.data ?? []), [channels.data]);
  const catalog = gifts.data ?? [];
  const reloadBids = bids.reload;
  const reloadGifts = gifts.reload;
  const setGifts = gifts.setData;

  // The bidder's bids show up as they end: the live stream says when one of mine did.
  // Each ended bid also changes the auctions' states: they are read again at once.
  // The catalog follows the stream too: an auction gift the engine reads only after the view
  // opened (the first poll of a newly logged-in account, a new release) becomes choosable.
  const [bidEvents, setBidEvents] = useState(0);
  useEffect(() => {
    const catalogEvent = (name: string) => (data: string) => {
      const action = sseToAction(name, data);
      if (action?.type === 'snapshot' || action?.type === 'catalog') setGifts(action.gifts);
      else if (action !== null) void reloadGifts();
    };
    return subscribeSse('/api/gifts/stream', {
      bid: () => {
        void reloadBids();
        setBidEvents((count) => count + 1);
      },
      snapshot: catalogEvent('snapshot'),
      catalog: catalogEvent('catalog'),
      new_gifts: catalogEvent('new_gifts'),
      lagged: catalogEvent('lagged'),
    });
  }, [reloadBids, reloadGifts, setGifts]);

  const remove = async (plan: AuctionPlan) => {
    try {
      await api.removePlan(plan.id);
      toast.success(t('auctions.deleted'));
      void plans.reload();
    } catch (err) {
      toast.error(err);
    } finally {
      setDeleting(null);
    }
  };

  return (
    <div className="screen">
      <div className="screen-head">
        <h1 className="screen-title">{t('nav.auctions')}</h1>
      </div>
      <p className="muted">{t('auctions.intro')}</p>
      {budget.data === undefined ? <p className="muted">{t('common.loading')}</p> : <BudgetSection budget={budget.data} onSaved={(b) => budget.setData(b)} />}
      <section className="panel">
        <h2>{t('auctions.addTitle')}</h2>
        <PlanForm gifts={catalog} channels={myChannels} preselected={preselected} onAdded={() => void plans.reload()} />
      </section>
      <section className="panel">
        <h2>{t('auctions.plans')}</h2>
        {!plans.data ? (
          <p className="muted">{t('common.loading')}</p>
        ) : plans.data.length === 0 ? (
          <p className="muted">{t('auctions.noPlans')}</p>
        ) : (
          <ul className="list">
            {plans.data.map((p) => (
              <li key={p.id} className="list-row" data-testid="auction-plan">
                <div className="grow">
                  <strong>{t('auctions.planTitle', { gift: giftName(i18n, p.gift_id, catalog), max: num(p.max_bid) })}</strong>
                  <div className="muted small">
                    {t('auctions.wantedCount', { wanted: p.wanted })} · {recipientText(p, myChannels, t('auctions.toSelf'))}
                  </div>
                  <LiveState plan={p} bids={bidEvents} />
                </div>
                <button type="button" className="btn btn-small btn-danger" onClick={() => setDeleting(p)}>
                  {t('common.delete')}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="panel">
        <h2>{t('auctions.bids')}</h2>
        {!bids.data ? (
          <p className="muted">{t('common.loading')}</p>
        ) : bids.data.length === 0 ? (
          <p className="muted">{t('auctions.noBids')}</p>
        ) : (
          <ul className="list">
            {bids.data.map((b) => (
              <BidRow key={b.id} bid={b} gifts={catalog} channels={myChannels} />
            ))}
          </ul>
        )}
      </section>
      {deleting && (
        <ConfirmDialog
          title={t('auctions.deleteTitle')}
          text={t('auctions.deleteText', { gift: giftName(i18n, deleting.gift_id, catalog) })}
          confirmLabel={t('common.delete')}
          danger
          onConfirm={() => void remove(deleting)}
          onCancel={() => setDeleting(null)}
        />
      )}
    </div>
  );
}
