import { useCallback, useEffect, useRef } from 'react';
import type { Gift } from '../api/types';
import { useToast } from '../components/Toasts';
import { useI18n } from '../i18n';
import { summarizePurchases } from './purchaseSummary';
import type { PurchaseEvent } from './useGiftFeed';

const QUIET_MS = 1200;

/**
 * A handler for purchase events that sums a burst up into one toast per gift: a run can buy
 * dozens of copies within a second. `gifts` gives the titles.
 */
export function usePurchaseToasts(gifts: readonly Gift[]): (e: PurchaseEvent) => void {
  const { t } = useI18n();
  const toast = useToast();
  const pending = useRef<PurchaseEvent[]>([]);
  const timer = useRef<number | undefined>(undefined);
  const titles = useRef(new Map<string, string>());
  titles.current = new Map(gifts.map((g) => [String(g.id), g.title ?? `#${g.id}`]));

  useEffect(() => () => window.clearTimeout(timer.current), []);

  return useCallback(
    (e: PurchaseEvent) => {
      pending.current.push(e);
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(() => {
        const events = pending.current;
        pending.current = [];
        for (const s of summarizePurchases(events)) {
          const gift = titles.current.get(String(s.gift)) ?? `#${s.gift}`;
          toast.show(s.failed === 0 ? 'success' : 'info', t('gifts.purchaseSummary', { gift, bought: s.bought, failed: s.failed }));
        }
      }, QUIET_MS);
    },
    [toast, t],
  );
}
