import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ChannelTarget, Gift, Target } from '../api/types';
import { renderUi, stubApi } from '../test/render';
import { BuyDialog } from './BuyDialog';

afterEach(() => vi.unstubAllGlobals());

const channel = (id: number, channel_id: number): ChannelTarget => ({
  id,
  kind: 'channel',
  channel_id,
  username: null,
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
    await waitFor(() => expect((screen.getByLabelText('Receiver') as HTMLSelectElement).value).toBe('2'));
    expect(calls.find((c) => c.path === '/api/channels/preview')!.body).toEqual({
      price: 100,
      supply: 1000,
      gift_id: '7000000000000000003',
      kinds: ['birthday'],
    });
  });

  it('offers every target, preselects the one autobuy would choose, and buys for it', async () => {
    const self: Target = { ...channel(3, 0), kind: 'self', channel_id: null, title: 'Me' };
    const person: Target = { ...channel(4, 0), kind: 'user', channel_id: null, username: 'gift_friend', title: null };
    const calls = stubApi({
      'GET /api/accounts': () => [
        200,
        { accounts: [{ id: 1, telegram_id: 11, username: 'buyer', masked_phone: '+1 *** 22', logged_in: true, stars: 500 }] },
      ],
      'GET /api/channels': () => [200, { channels: [self, person, channel(1, -1001111111111)] }],
      'POST /api/channels/preview': () => [200, { best: person, matching: [person, self], forced_target: null }],
      'POST /api/gifts/7000000000000000003/buy': () => [200, { run_id: 5, outcome: 'bought' }],
    });
    renderUi(<BuyDialog gift={cake} onClose={() => undefined} />);
    const select = screen.getByLabelText('Receiver') as HTMLSelectElement;
    await waitFor(() => expect(select.value).toBe('4'));
    expect([...select.options].map((o) => o.textContent)).toEqual(['Me (the buying account)', '@gift_friend', 'Channel 1 (-1001111111111)']);
    fireEvent.click(await screen.findByRole('button', { name: /^Buy for/ }));
    await screen.findByTestId('buy-result');
    expect(calls.find((c) => c.path.endsWith('/buy'))!.body).toEqual({ account_id: 11, username: 'gift_friend' });
  });

  it('buys for the account itself without naming a receiver', async () => {
    const self: Target = { ...channel(3, 0), kind: 'self', channel_id: null, title: null };
    const calls = stubApi({
      'GET /api/accounts': () => [
        200,
        { accounts: [{ id: 1, telegram_id: 11, username: 'buyer', masked_phone: '+1 *** 22', logged_in: true, stars: 500 }] },
      ],
      'GET /api/channels': () => [200, { channels: [self] }],
      'POST /api/channels/preview': () => [200, { best: self, matching: [self], forced_target: null }],
      'POST /api/gifts/7000000000000000003/buy': () => [200, { run_id: 6, outcome: 'bought' }],
    });
    renderUi(<BuyDialog gift={cake} onClose={() => undefined} />);
    const confirm = (await screen.findByRole('button', { name: /^Buy for/ })) as HTMLButtonElement;
    await waitFor(() => expect(confirm.disabled).toBe(false));
    fireEvent.click(confirm);
    await screen.findByTestId('buy-result');
    expect(calls.find((c) => c.path.endsWith('/buy'))!.body).toEqual({ account_id: 11 });
  });
});
