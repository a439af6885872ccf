import { screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Channel, Gift } from '../api/types';
import { renderUi, stubApi } from '../test/render';
import { BuyDialog } from './BuyDialog';

afterEach(() => vi.unstubAllGlobals());

const channel = (id: number, channel_id: number): Channel => ({
  id,
  channel_id,
  title: `Channel ${id}`,
  price_min: null,
  price_max: null,
  supply_min: null,
  supply_max: null,
  exclude: { gift_ids: [], kinds: [] },
});

const cake: Gift = {
  id: '7000000000000000003',
  title: 'Cake',
  price: 100,
  limited: true,
  supply: 1000,
  remaining: 10,
  sold_out: false,
  require_premium: false,
  birthday: true,
  has_sticker: false,
  first_seen: 1_700_000_000,
  last_seen: 1_700_000_000,
  sold_out_at: null,
};

describe('BuyDialog', () => {
  it('asks the preview with the gift id and kinds, and preselects the channel that takes it', async () => {
    const second = channel(2, -1002222222222);
    const calls = stubApi({
      'GET /api/accounts': () => [200, { accounts: [] }],
      'GET /api/channels': () => [200, { channels: [channel(1, -1001111111111), second] }],
      'POST /api/channels/preview': () => [200, { best: second, matching: [second], forced_target: null }],
    });
    renderUi(<BuyDialog gift={cake} onClose={() => undefined} />);
    await waitFor(() => expect((screen.getByLabelText('Channel') as HTMLSelectElement).value).toBe('-1002222222222'));
    expect(calls.find((c) => c.path === '/api/channels/preview')!.body).toEqual({
      price: 100,
      supply: 1000,
      gift_id: '7000000000000000003',
      kinds: ['birthday'],
    });
  });
});
