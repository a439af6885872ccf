import type { PurchaseEvent } from './useGiftFeed';

/** How a burst of purchases went for one gift and one receiver. */
export interface PurchaseSummary {
  gift: PurchaseEvent['gift'];
  /** The receiver, as in the events: a channel id, a username, or neither (the buying account). */
  channel: number | null;
  username: string | null;
  bought: number;
  failed: number;
}

/** Purchase events grouped by gift and receiver: how many copies were bought and how many were not. */
export function summarizePurchases(events: PurchaseEvent[]): PurchaseSummary[] {
  const groups = new Map<string, PurchaseSummary>();
  for (const e of events) {
    // Older servers send no username: it reads as none.
    const username = e.username ?? null;
    const key = JSON.stringify([String(e.gift), e.channel, username]);
    const entry = groups.get(key) ?? { gift: e.gift, channel: e.channel, username, bought: 0, failed: 0 };
    if (e.outcome === 'bought') entry.bought += 1;
    else entry.failed += 1;
    groups.set(key, entry);
  }
  return [...groups.values()];
}
