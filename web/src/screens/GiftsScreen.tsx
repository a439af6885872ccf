import { useEffect, useMemo, useRef, useState } from 'react';
import { channels as channelsApi, gifts as giftsApi } from '../api/api';
import type { Gift, Target } from '../api/types';
import { useToast } from '../components/Toasts';
import { useI18n } from '../i18n';
import { applyGiftFilter, loadFilter, saveFilter, type GiftFilter } from '../lib/giftFilters';
import { useGiftFeed, type PurchaseEvent } from '../lib/useGiftFeed';
import { usePurchaseToasts } from '../lib/usePurchaseToasts';
import { BuyDialog } from './BuyDialog';
import { GiftCard } from './GiftCard';
import { GiftFilters } from './GiftFilters';

export function GiftsScreen() {
  const { t, tk } = useI18n();
  const toast = useToast();
  // The handler needs the gift titles, which come from the feed it is passed to: a ref breaks the loop.
  const onPurchase = useRef<(e: PurchaseEvent) => void>(() => undefined);
  const { state, status, markSeen } = useGiftFeed((e) => onPurchase.current(e));
  // The targets name the channels purchases went to; without them a toast shows the channel's id.
  const [targets, setTargets] = useState<Target[]>([]);
  useEffect(() => {
    channelsApi.list().then(setTargets).catch(() => undefined);
  }, []);
  onPurchase.current = usePurchaseToasts(state.gifts, targets);
  const [filter, setFilter] = useState<GiftFilter>(loadFilter);
  useEffect(() => saveFilter(filter), [filter]);
  const [buying, setBuying] = useState<Gift | null>(null);
  const [refreshStage, setRefreshStage] = useState<string | null>(null);
  const shown = useMemo(() => applyGiftFilter(state.gifts, filter), [state.gifts, filter]);

  const refresh = async () => {
    setRefreshStage('poll');
    try {
      await giftsApi.refresh((e) => {
        setRefreshStage(e.stage);
        if (e.error) toast.error(new Error(e.error));
        else if (e.stage === 'done' && e.outcome) {
          const known = tk(`refresh.${e.outcome}`);
          toast.show('info', known === `refresh.${e.outcome}` ? t('refresh.other', { outcome: e.outcome }) : known);
        }
      });
    } catch (err) {
      toast.error(err);
    } finally {
      window.setTimeout(() => setRefreshStage(null), 1500);
    }
  };

  return (
    <div className="screen">
      <div className="screen-head">
        <h1 className="screen-title">{t('nav.gifts')}</h1>
        <span className={`live live-${status}`} role="status" data-testid="stream-status">
          {t(`gifts.stream.${status}`)}
        </span>
        <button type="button" className="btn" onClick={() => void refresh()} disabled={refreshStage !== null && refreshStage !== 'done' && refreshStage !== 'error'}>
          {refreshStage ? tk(`stage.${refreshStage}`) : t('common.refresh')}
        </button>
      </div>
      <GiftFilters value={filter} onChange={setFilter} />
      <p className="muted small" aria-live="polite">
        {t('gifts.count', { shown: shown.length, total: state.gifts.length })}
      </p>
      {!state.loaded ? (
        <p className="muted">{t('common.loading')}</p>
      ) : shown.length === 0 ? (
        <p className="empty">{state.gifts.length === 0 ? t('gifts.empty') : t('gifts.noneMatch')}</p>
      ) : (
        <div className="gift-grid">
          {shown.map((g) => (
            <GiftCard key={g.id} gift={g} fresh={state.fresh.has(g.id)} onSeen={markSeen} onBuy={setBuying} />
          ))}
        </div>
      )}
      {buying && <BuyDialog gift={buying} onClose={() => setBuying(null)} />}
    </div>
  );
}

