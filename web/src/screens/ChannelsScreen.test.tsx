import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renderUi, stubApi } from '../test/render';
import { ChannelsScreen } from './ChannelsScreen';

beforeEach(() => localStorage.clear());
afterEach(() => vi.unstubAllGlobals());

const channel = { id: 7, kind: 'channel', channel_id: -1001234567890, username: null, title: null, price_min: null, price_max: 5000, supply_min: null, supply_max: null, exclude: { gift_ids: [], kinds: [] } };

const self = { ...channel, id: 8, kind: 'self', channel_id: null, title: null, price_max: null };
const person = { ...channel, id: 9, kind: 'user', channel_id: null, username: 'gift_friend', title: 'Friend' };

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
            takes_star_gifts: false,
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
    // The owner turned star gifts off: the check says auctions will not bid for it.
    expect(screen.getByTestId('check-star-gifts').textContent).toContain('does not take star gifts');
    await waitFor(() => expect(within(screen.getByTestId('channel-row')).getByTestId('channel-access').textContent).toBe('1 of 2 accounts can post'));
    // The title Telegram showed is loaded into the list.
    await waitFor(() => expect(within(screen.getByTestId('channel-row')).getByText('Drops')).toBeTruthy());
    first.unmount();

    renderUi(<ChannelsScreen />);
    const again = await screen.findByTestId('channel-row');
    expect(within(again).getByTestId('channel-access').textContent).toBe('1 of 2 accounts can post');
  });

  it('lists each kind of target with its receiver, and offers the access check for channels only', async () => {
    stubApi({
      'GET /api/channels': () => [200, { channels: [{ ...channel, title: 'Drops' }, self, person] }],
    });
    renderUi(<ChannelsScreen />);
    expect(await screen.findByRole('heading', { level: 1, name: 'Targets' })).toBeTruthy();
    await waitFor(() => expect(screen.getAllByTestId('channel-row')).toHaveLength(3));
    const [ch, me, friend] = screen.getAllByTestId('channel-row') as [HTMLElement, HTMLElement, HTMLElement];
    expect(within(ch).getByTestId('channel-recipient').textContent).toBe('channel -1001234567890');
    expect(within(ch).getByText('Drops')).toBeTruthy();
    expect(within(me).getByTestId('channel-recipient').textContent).toBe('Myself (each buying account)');
    expect(within(friend).getByTestId('channel-recipient').textContent).toBe('@gift_friend');
    expect(within(friend).getByText('Friend')).toBeTruthy();

    expect(within(ch).getByRole('button', { name: 'Check access' })).toBeTruthy();
    for (const row of [me, friend]) {
      expect(within(row).queryByRole('button', { name: 'Check access' })).toBeNull();
      expect(within(row).getByTestId('channel-access').textContent).toBe('no check needed');
      expect(within(row).getByRole('button', { name: 'Edit' })).toBeTruthy();
    }
  });

  it('names self and person targets in the preview and the delete question', async () => {
    stubApi({
      'GET /api/channels': () => [200, { channels: [self, person] }],
      'POST /api/channels/preview': () => [200, { best: self, matching: [self, person], forced_target: null }],
    });
    renderUi(<ChannelsScreen />);
    await waitFor(() => expect(screen.getAllByTestId('channel-row')).toHaveLength(2));
    fireEvent.change(screen.getByLabelText('Price'), { target: { value: '500' } });
    fireEvent.change(screen.getByLabelText('Supply'), { target: { value: '1000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Check' }));
    const result = await screen.findByTestId('preview-result');
    expect(result.textContent).toContain('It would go to the buying account.');
    expect(result.textContent).toContain('Also matching: the buying account, Friend (@gift_friend)');

    fireEvent.click(within(screen.getAllByTestId('channel-row')[1]!).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText('Autobuy will no longer send gifts to Friend (@gift_friend).')).toBeTruthy();
  });
});
