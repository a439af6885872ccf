import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Gift } from '../api/types';
import { renderUi } from '../test/render';
import { GiftCard, giftLimits } from './GiftCard';

const base: Gift = {
  id: '7000000000000000003', title: 'Precious Peach', price: 10000, limited: true, supply: 12000, remaining: 3000,
  sold_out: false, require_premium: true, has_sticker: false, first_seen: 1_700_000_000, last_seen: 1_700_000_000, sold_out_at: null,
};

describe('GiftCard', () => {
  it('shows price, badges and the remaining bar', () => {
    renderUi(<GiftCard gift={base} fresh onSeen={() => undefined} onBuy={() => undefined} />);
    expect(screen.getByTestId('gift-card').querySelector('.gift-price')?.textContent).toBe('★10,000');
    expect(screen.getByText('Limited')).toBeTruthy();
    expect(screen.getByText('Premium only')).toBeTruthy();
    expect(screen.getByText('New')).toBeTruthy();
    expect(screen.getByText('3,000 of 12,000 left')).toBeTruthy();
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('3000');
    expect(screen.getByTestId('gift-card').getAttribute('data-gift-id')).toBe('7000000000000000003');
  });

  it('marks a birthday gift, which channels may exclude', () => {
    renderUi(<GiftCard gift={{ ...base, birthday: true }} fresh={false} onSeen={() => undefined} onBuy={() => undefined} />, 'ru');
    expect(screen.getByText('День рождения')).toBeTruthy();
  });

  it('marks a sold-out gift and disables buying', () => {
    renderUi(<GiftCard gift={{ ...base, sold_out: true, remaining: 0 }} fresh={false} onSeen={() => undefined} onBuy={() => undefined} />);
    expect(screen.getByText('Sold out')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Buy…' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('marks an auction gift with its start and offers no purchase', () => {
    const auction = { slug: 'plush-pepe', gifts_per_round: 50, start_date: 1_700_003_600 };
    renderUi(<GiftCard gift={{ ...base, auction }} fresh={false} onSeen={() => undefined} onBuy={() => undefined} />);
    expect(screen.getByTestId('gift-auction').textContent).toMatch(/^Auction from /);
    expect(screen.getByTestId('gift-auction').getAttribute('title')).toBe('Sold by auction: it takes bids only and is never bought as a purchase');
    expect((screen.getByRole('button', { name: 'Buy…' }) as HTMLButtonElement).disabled).toBe(true);
    // Bids are planned in the Auctions view instead, with this gift chosen.
    expect(screen.getByRole('link', { name: 'Plan a bid' }).getAttribute('href')).toBe(`/auctions?gift=${base.id}`);
  });

  it('offers no bid plan for an ordinary gift', () => {
    renderUi(<GiftCard gift={base} fresh={false} onSeen={() => undefined} onBuy={() => undefined} />);
    expect(screen.queryByRole('link', { name: 'Plan a bid' })).toBeNull();
  });

  it('names an auction without a known start plainly', () => {
    renderUi(<GiftCard gift={{ ...base, auction: { slug: '', gifts_per_round: 0, start_date: null } }} fresh={false} onSeen={() => undefined} onBuy={() => undefined} />);
    expect(screen.getByTestId('gift-auction').textContent).toBe('Auction');
  });

  it('derives per-user limits and locks from my accounts', () => {
    const g: Gift = {
      ...base,
      accounts: [
        { account_id: 1, per_user_remains: 1, locked_until: 50, seen_at: 0 },
        { account_id: 2, per_user_remains: 3, locked_until: 200, seen_at: 0 },
      ],
    };
    expect(giftLimits(g, 100)).toEqual({ perUserRemains: 3, lockedUntil: 200 });
    expect(giftLimits(g, 300)).toEqual({ perUserRemains: 3, lockedUntil: null });
    expect(giftLimits(base, 0)).toEqual({ perUserRemains: null, lockedUntil: null });
  });
});

describe('summarizePurchases', () => {
  it('groups a burst of purchase events by gift and receiver', async () => {
    const { summarizePurchases } = await import('../lib/purchaseSummary');
    const e = (gift: string, outcome: string, channel: number | null = -1001, username: string | null = null) => ({ account: 1, gift, channel, username, outcome });
    expect(
      summarizePurchases([
        e('7000000000000000005', 'bought'),
        e('7000000000000000005', 'bought'),
        e('7000000000000000005', 'STARGIFT_USAGE_LIMITED'),
        e('2', 'bought'),
        e('2', 'bought', null, 'gift_friend'),
        e('2', 'bought', null),
      ]),
    ).toEqual([
      { gift: '7000000000000000005', channel: -1001, username: null, bought: 2, failed: 1 },
      { gift: '2', channel: -1001, username: null, bought: 1, failed: 0 },
      { gift: '2', channel: null, username: 'gift_friend', bought: 1, failed: 0 },
      { gift: '2', channel: null, username: null, bought: 1, failed: 0 },
    ]);
  });
});
