import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renderUi, stubApi } from '../test/render';
import { ChannelsScreen } from './ChannelsScreen';

beforeEach(() => localStorage.clear());
afterEach(() => vi.unstubAllGlobals());

const channel = { id: 7, channel_id: -1001234567890, title: null, price_min: null, price_max: 5000, supply_min: null, supply_max: null, exclude: { gift_ids: [], kinds: [] } };

describe('ChannelsScreen', () => {
  it('shows each channel\'s last access check in the list, and keeps it across visits', async () => {
    let title: string | null = null;
    stubApi({
      'GET /api/channels': () => [200, { channels: [{ ...channel, title }] }],
      'GET /api/accounts': () => [200, { accounts: [] }],
      'POST /api/channels/7/check': () => {
        title = 'Drops';
        return [
          200,
          {
            id: 7,
            channel_id: channel.channel_id,
            title: 'Drops',
            telegram_title: 'Drops',
            usable: true,
            checked_at: 1_800_000_000,
            accounts: [
              { account_id: 1, username: 'one', status: 'can_post', message: null },
              { account_id: 2, username: 'two', status: 'not_a_member', message: null },
            ],
          },
        ];
      },
    });
    const first = renderUi(<ChannelsScreen />);
    const row = await screen.findByTestId('channel-row');
    expect(within(row).getByTestId('channel-access').textContent).toBe('not checked');
    fireEvent.click(within(row).getByRole('button', { name: 'Check access' }));
    await screen.findByTestId('check-result');
    await waitFor(() => expect(within(screen.getByTestId('channel-row')).getByTestId('channel-access').textContent).toBe('1 of 2 accounts can post'));
    // The title Telegram showed is loaded into the list.
    await waitFor(() => expect(within(screen.getByTestId('channel-row')).getByText('Drops')).toBeTruthy());
    first.unmount();

    renderUi(<ChannelsScreen />);
    const again = await screen.findByTestId('channel-row');
    expect(within(again).getByTestId('channel-access').textContent).toBe('1 of 2 accounts can post');
  });
});
