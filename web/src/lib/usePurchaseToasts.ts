import { useCallback, useEffect, useRef } from 'react';
import type { Gift, Target } from '../api/types';
import { useToast } from '../components/Toasts';
import { useI18n } from '../i18n';
import { summarizePurchases } from './purchaseSummary';
import { receiverText } from './targets';
import type { PurchaseEvent } from './useGiftFeed';

const QUIET_MS = 1200;

/**
 * A handler for purchase events that sums a burst up into one toast per gift and receiver: a run
 * can buy dozens of copies within a second. `gifts` gives the titles, `targets` the channels' names.
 */
export function usePurchaseToasts(gifts: readonly Gift[], targets: readonly Target[] = []): (e: PurchaseEvent) => void {
  const { t } = useI18n();
  const toast = useToast();
  const pending = useRef<PurchaseEvent[]>([]);
  const timer = useRef<number | undefined>(undefined);
  const titles = useRef(new Map<string, string>());
  titles.current = new Map(gifts.map((g) => [String(g.id), g.title ?? `#${g.id}`]));
  const receivers = useRef(targets);
  receivers.current = targets;

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
          const to = receiverText({ channel_id: s.channel, username: s.username }, receivers.current, t);
          toast.show(s.failed === 0 ? 'success' : 'info', t('gifts.purchaseSummary', { gift, to, bought: s.bought, failed: s.failed }));
        }
      }, QUIET_MS);
    },
    [toast, t],
  );
}
