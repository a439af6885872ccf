import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
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
    const existing = { id: 3, channel_id: -1009876543210, title: 'Old', price_min: 10, price_max: 100, supply_min: null, supply_max: null };
    renderUi(<ChannelDialog channel={existing} onClose={onClose} onSaved={() => undefined} />);
    fireEvent.change(screen.getByLabelText('Min price'), { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(calls[0]!.body).toEqual({ channel_id: -1009876543210, title: 'Old', price_min: null, price_max: 100, supply_min: null, supply_max: null });
  });
});
