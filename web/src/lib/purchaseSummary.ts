import type { PurchaseEvent } from './useGiftFeed';

/** Purchase events grouped by gift: how many copies were bought and how many were not. */
export function summarizePurchases(events: PurchaseEvent[]): { gift: PurchaseEvent['gift']; bought: number; failed: number }[] {
  const byGift = new Map<string, { gift: PurchaseEvent['gift']; bought: number; failed: number }>();
  for (const e of events) {
    const key = String(e.gift);
    const entry = byGift.get(key) ?? { gift: e.gift, bought: 0, failed: 0 };
    if (e.outcome === 'bought') entry.bought += 1;
    else entry.failed += 1;
    byGift.set(key, entry);
  }
  return [...byGift.values()];
}
