import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Target } from '../api/types';
import { renderUi, stubApi } from '../test/render';
import { ChannelDialog } from './ChannelDialog';

afterEach(() => vi.unstubAllGlobals());

const target = (over: Partial<Target>): Target => ({
  id: 5,
  kind: 'channel',
  channel_id: -1009876543210,
  username: null,
  title: null,
  price_min: null,
  price_max: null,
  supply_min: null,
  supply_max: null,
  exclude: { gift_ids: [], kinds: [] },
  ...over,
});

describe('ChannelDialog', () => {
  it('shows validation errors and does not send an invalid channel', async () => {
    const calls = stubApi({});
    renderUi(<ChannelDialog channel={null} onClose={() => undefined} onSaved={() => undefined} />);
    fireEvent.change(screen.getByLabelText('Channel id'), { target: { value: '12345' } });
    fireEvent.change(screen.getByLabelText('Min price'), { target: { value: '500' } });
    fireEvent.change(screen.getByLabelText('Max price'), { target: { value: '100' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Use the Bot API form: -100 followed by digits')).toBeTruthy();
    expect(screen.getByText('Max must not be less than min')).toBeTruthy();
    expect(calls).toHaveLength(0);
  });

  it('sends a valid channel and closes; an edit sends cleared bounds as null', async () => {
    const calls = stubApi({
      'PATCH /api/channels/3': (b) => [200, { id: 3, ...(b as object) }],
    });
    const onClose = vi.fn();
    const existing = {
      id: 3,
      kind: 'channel',
      channel_id: -1009876543210,
      username: null,
      title: 'Old',
      price_min: 10,
      price_max: 100,
      supply_min: null,
      supply_max: null,
      exclude: { gift_ids: [], kinds: [] },
    } satisfies Target;
    renderUi(<ChannelDialog channel={existing} onClose={onClose} onSaved={() => undefined} />);
    fireEvent.change(screen.getByLabelText('Min price'), { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    // Both recipient keys go in a PATCH, so the recipient is always what the form shows.
    expect(calls[0]!.body).toEqual({
      channel_id: -1009876543210,
      username: null,
      title: 'Old',
      price_min: null,
      price_max: 100,
      supply_min: null,
      supply_max: null,
      exclude: { gift_ids: [], kinds: [] },
    });
  });

  it('edits the exclude list: ids and kinds are shown, changed and sent; bad ids stay local', async () => {
    const calls = stubApi({
      'PATCH /api/channels/4': (b) => [200, { id: 4, ...(b as object) }],
    });
    const onClose = vi.fn();
    const existing = target({ id: 4, exclude: { gift_ids: ['5170145012310081615', 9], kinds: ['birthday'] } });
    renderUi(<ChannelDialog channel={existing} onClose={onClose} onSaved={() => undefined} />);
    const ids = screen.getByLabelText('Never buy these gift ids') as HTMLInputElement;
    expect(ids.value).toBe('5170145012310081615, 9');
    const birthday = screen.getByLabelText('Birthday gifts') as HTMLInputElement;
    const premium = screen.getByLabelText('Premium-only gifts') as HTMLInputElement;
    expect([birthday.checked, premium.checked]).toEqual([true, false]);

    fireEvent.change(ids, { target: { value: '9, -3' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Gift ids are positive whole numbers separated by commas')).toBeTruthy();
    expect(calls).toHaveLength(0);

    fireEvent.change(ids, { target: { value: '5170145012310081615 9 9' } });
    fireEvent.click(birthday);
    fireEvent.click(premium);
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect((calls[0]!.body as { exclude: unknown }).exclude).toEqual({ gift_ids: ['5170145012310081615', 9], kinds: ['premium_only'] });
  });

  it('shows the server\'s complaint about the exclude list under its field', async () => {
    stubApi({
      'POST /api/channels': () => [
        422,
        { error: { code: 'invalid', message: 'bad', fields: { 'exclude.gift_ids': 'an exclude list holds at most 1000 distinct gift ids' } } },
      ],
    });
    renderUi(<ChannelDialog channel={null} onClose={() => undefined} onSaved={() => undefined} />, 'ru');
    fireEvent.change(screen.getByLabelText('Id канала'), { target: { value: '-1001234567890' } });
    fireEvent.change(screen.getByLabelText('Никогда не покупать эти id подарков'), { target: { value: '1' } });
    expect(screen.getByLabelText('Подарки на день рождения')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Сохранить' }));
    expect(await screen.findByText('an exclude list holds at most 1000 distinct gift ids')).toBeTruthy();
  });

  it('creates a self target with neither channel_id nor username', async () => {
    const calls = stubApi({
      'POST /api/channels': (b) => [201, { id: 9, kind: 'self', channel_id: null, username: null, ...(b as object) }],
    });
    const onClose = vi.fn();
    renderUi(<ChannelDialog channel={null} onClose={onClose} onSaved={() => undefined} />);
    fireEvent.click(screen.getByLabelText('Myself (each buying account)'));
    // A self target names no recipient: there is no id or username to fill in.
    expect(screen.queryByLabelText('Channel id')).toBeNull();
    expect(screen.queryByLabelText('Telegram username')).toBeNull();
    fireEvent.change(screen.getByLabelText('Max price'), { target: { value: '300' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body).toEqual({ title: null, price_min: null, price_max: 300, supply_min: null, supply_max: null, exclude: { gift_ids: [], kinds: [] } });
  });

  it('creates a user target by @username, refusing an invalid one without sending', async () => {
    const calls = stubApi({
      'POST /api/channels': (b) => [201, { id: 9, kind: 'user', channel_id: null, ...(b as object) }],
    });
    const onClose = vi.fn();
    renderUi(<ChannelDialog channel={null} onClose={onClose} onSaved={() => undefined} />);
    fireEvent.click(screen.getByLabelText('A person, by @username'));
    expect(screen.queryByLabelText('Channel id')).toBeNull();
    const username = screen.getByLabelText('Telegram username');
    for (const bad of ['@abc', '1friend', 'gift-friend', 'friend_']) {
      fireEvent.change(username, { target: { value: bad } });
      fireEvent.click(screen.getByRole('button', { name: 'Save' }));
      expect(await screen.findByText('A username is 5–32 latin letters, digits and _, starting with a letter')).toBeTruthy();
      expect(username.getAttribute('aria-invalid')).toBe('true');
    }
    expect(calls).toHaveLength(0);

    fireEvent.change(username, { target: { value: '@Gift_Friend' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(calls[0]!.body).toEqual({ username: 'gift_friend', title: null, price_min: null, price_max: null, supply_min: null, supply_max: null, exclude: { gift_ids: [], kinds: [] } });
  });

  it('shows the server\'s complaint about a username under the username field', async () => {
    stubApi({
      'POST /api/channels': () => [422, { error: { code: 'invalid', message: 'bad', fields: { username: 'no such Telegram user' } } }],
    });
    renderUi(<ChannelDialog channel={null} onClose={() => undefined} onSaved={() => undefined} />, 'ru');
    fireEvent.click(screen.getByLabelText('Человек, по @username'));
    fireEvent.change(screen.getByLabelText('Username в Telegram'), { target: { value: 'gift_friend' } });
    fireEvent.click(screen.getByRole('button', { name: 'Сохранить' }));
    expect(await screen.findByText('no such Telegram user')).toBeTruthy();
    expect(screen.getByLabelText('Username в Telegram').getAttribute('aria-invalid')).toBe('true');
  });

  it('edits a user target: its username is shown, and turning it into a self target sends both recipient keys as null', async () => {
    const calls = stubApi({
      'PATCH /api/channels/5': (b) => [200, { id: 5, kind: 'self', ...(b as object) }],
    });
    const onClose = vi.fn();
    renderUi(<ChannelDialog channel={target({ kind: 'user', channel_id: null, username: 'gift_friend', title: 'Friend' })} onClose={onClose} onSaved={() => undefined} />);
    expect((screen.getByLabelText('A person, by @username') as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText('Telegram username') as HTMLInputElement).value).toBe('gift_friend');
    fireEvent.click(screen.getByLabelText('Myself (each buying account)'));
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(calls[0]!.body).toMatchObject({ channel_id: null, username: null, title: 'Friend' });
  });

  it('reports a duplicate self target under the kind choice', async () => {
    stubApi({
      'POST /api/channels': () => [409, { error: { code: 'conflict', message: 'exists' } }],
    });
    renderUi(<ChannelDialog channel={null} onClose={() => undefined} onSaved={() => undefined} />);
    fireEvent.click(screen.getByLabelText('Myself (each buying account)'));
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('This target is already in the list.')).toBeTruthy();
  });
});
