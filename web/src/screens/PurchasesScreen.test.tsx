import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderUi, stubApi } from '../test/render';
import { PurchasesScreen } from './PurchasesScreen';

afterEach(() => vi.unstubAllGlobals());

const summary = (id: number) => ({ id, started_at: 1_795_700_000 + id, operations: 2, bought: 1, failed: 1, unknown: 0, has_report: true });

describe('PurchasesScreen', () => {
  it('pages through runs and shows the report and per-operation outcomes with names', async () => {
    const calls = stubApi({
      'GET /api/stats/spending?days=30': () => [200, { days: [{ date: '2026-11-25', stars: 0, purchases: 0 }, { date: '2026-11-26', stars: 2000, purchases: 2 }], total_stars: 2000, available: true }],
      'GET /api/runs?limit=20': () => [200, { runs: [summary(3)], next_before: 3 }],
      'GET /api/runs?limit=20&before=3': () => [200, { runs: [summary(2)] }],
      'GET /api/runs/3': () => [
        200,
        {
          run: summary(3),
          report: 'Autobuy report\nBought: 1',
          report_saved_at: 1,
          operations_available: true,
          operations: [
            { seq: 0, account_id: 7230754733, channel_id: -1001234567890, username: null, gift_id: 7000000000000000005, price: 1000, supply: 100, status: 'bought', error: null, updated_at: 1 },
            { seq: 1, account_id: 7230754733, channel_id: -1001234567890, username: null, gift_id: 7000000000000000005, price: 1000, supply: 100, status: 'failed', error: 'STARGIFT_USAGE_LIMITED', updated_at: 1 },
          ],
        },
      ],
      'GET /api/accounts': () => [200, { accounts: [{ id: 1, telegram_id: 7230754733, username: 'buyer', masked_phone: '+1555****567', premium: false, premium_until: null, stars: 0, stars_refreshed_at: null, api_profile_id: null, logged_in: true }] }],
      'GET /api/channels': () => [200, { channels: [{ id: 1, kind: 'channel', channel_id: -1001234567890, username: null, title: 'Main', price_min: null, price_max: null, supply_min: null, supply_max: null, exclude: { gift_ids: [], kinds: [] } }] }],
      'GET /api/gifts': () => [200, { gifts: [{ id: 7000000000000000005, title: 'Lol Pop', price: 1000, limited: true, supply: 100, remaining: 0, sold_out: true, require_premium: false, has_sticker: false, first_seen: 1, last_seen: 1, sold_out_at: 1 }] }],
    });
    renderUi(<PurchasesScreen />);
    expect((await screen.findByTestId('run-report')).textContent).toContain('Bought: 1');
    expect(screen.getByText('STARGIFT_USAGE_LIMITED')).toBeTruthy();
    await waitFor(() => expect(screen.getAllByText('@buyer')).toHaveLength(2));
    expect(screen.getAllByText('Main')).toHaveLength(2);
    expect(screen.getAllByText('Lol Pop')).toHaveLength(2);
    expect(screen.getByRole('img', { name: /Stars spent per day/ }).querySelectorAll('rect')).toHaveLength(2);
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByTestId('run-item')).toHaveLength(2));
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
    expect(calls.some((c) => c.path === '/api/runs?limit=20&before=3')).toBe(true);
  });

  it('shows who received each operation: a channel, a person by @username, or myself', async () => {
    const op = (seq: number, channel_id: number | null, username: string | null) => ({ seq, account_id: 7230754733, channel_id, username, gift_id: 5, price: 100, supply: 10, status: 'bought', error: null, updated_at: 1 });
    stubApi({
      'GET /api/stats/spending?days=30': () => [200, { days: [], total_stars: 0, available: false }],
      'GET /api/runs?limit=20': () => [200, { runs: [summary(4)] }],
      'GET /api/runs/4': () => [
        200,
        { run: summary(4), report: 'done', report_saved_at: 1, operations_available: true, operations: [op(0, -1001234567890, null), op(1, null, 'gift_friend'), op(2, null, null), op(3, -1009999999999, null)] },
      ],
      'GET /api/channels': () => [
        200,
        {
          channels: [
            { id: 1, kind: 'channel', channel_id: -1001234567890, username: null, title: 'Main', price_min: null, price_max: null, supply_min: null, supply_max: null, exclude: { gift_ids: [], kinds: [] } },
            { id: 2, kind: 'user', channel_id: null, username: 'gift_friend', title: 'Friend', price_min: null, price_max: null, supply_min: null, supply_max: null, exclude: { gift_ids: [], kinds: [] } },
          ],
        },
      ],
    });
    renderUi(<PurchasesScreen />);
    expect(await screen.findByRole('columnheader', { name: 'Receiver' })).toBeTruthy();
    await waitFor(() => expect(screen.getAllByTestId('op-receiver').map((c) => c.textContent)).toEqual(['Main', '@gift_friend', 'myself', '-1009999999999']));
  });
});
