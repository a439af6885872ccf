// Tests of the purchase toasts: one per gift and receiver, naming who received the gifts.
import { act, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Gift, Target } from '../api/types';
import { renderUi } from '../test/render';
import type { PurchaseEvent } from './useGiftFeed';
import { usePurchaseToasts } from './usePurchaseToasts';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

const pop = { id: '7000000000000000005', title: 'Lol Pop' } as Gift;
const main: Target = {
  id: 1,
  kind: 'channel',
  channel_id: -1001234567890,
  username: null,
  title: 'Main',
  price_min: null,
  price_max: null,
  supply_min: null,
  supply_max: null,
  exclude: { gift_ids: [], kinds: [] },
};

let onPurchase: (e: PurchaseEvent) => void = () => undefined;

function Probe() {
  onPurchase = usePurchaseToasts([pop], [main]);
  return null;
}

const event = (over: Partial<PurchaseEvent>): PurchaseEvent => ({ account: 1, gift: pop.id, channel: null, username: null, outcome: 'bought', ...over });

function toastTexts(): string[] {
  return [...screen.getByRole('status').querySelectorAll('.toast span')].map((s) => s.textContent ?? '');
}

describe('usePurchaseToasts', () => {
  it('sums a burst up per gift and receiver, naming a person by @username, a channel by title, the account as myself', () => {
    renderUi(<Probe />);
    act(() => {
      onPurchase(event({ username: 'gift_friend' }));
      onPurchase(event({ username: 'gift_friend', outcome: 'STARGIFT_USAGE_LIMITED' }));
      onPurchase(event({ channel: -1001234567890 }));
      onPurchase(event({}));
    });
    expect(toastTexts()).toEqual([]);
    act(() => void vi.advanceTimersByTime(1500));
    expect(toastTexts()).toEqual([
      'Lol Pop → @gift_friend: bought 1, not bought 1',
      'Lol Pop → Main: bought 1, not bought 0',
      'Lol Pop → myself: bought 1, not bought 0',
    ]);
  });

  it('shows a channel that is not among my targets by its id, in Russian too', () => {
    renderUi(<Probe />, 'ru');
    act(() => {
      onPurchase(event({ channel: -1009999999999 }));
      onPurchase(event({}));
    });
    act(() => void vi.advanceTimersByTime(1500));
    expect(toastTexts()).toEqual(['Lol Pop → -1009999999999: куплено 1, не куплено 0', 'Lol Pop → себе: куплено 1, не куплено 0']);
  });
});
