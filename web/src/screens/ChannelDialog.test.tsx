import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Channel } from '../api/types';
import { renderUi, stubApi } from '../test/render';
import { ChannelDialog } from './ChannelDialog';

afterEach(() => vi.unstubAllGlobals());

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
      channel_id: -1009876543210,
      title: 'Old',
      price_min: 10,
      price_max: 100,
      supply_min: null,
      supply_max: null,
      exclude: { gift_ids: [], kinds: [] },
    } satisfies Channel;
    renderUi(<ChannelDialog channel={existing} onClose={onClose} onSaved={() => undefined} />);
    fireEvent.change(screen.getByLabelText('Min price'), { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(calls[0]!.body).toEqual({
      channel_id: -1009876543210,
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
    const existing: Channel = {
      id: 4,
      channel_id: -1009876543210,
      title: null,
      price_min: null,
      price_max: null,
      supply_min: null,
      supply_max: null,
      exclude: { gift_ids: ['5170145012310081615', 9], kinds: ['birthday'] },
    };
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
});
