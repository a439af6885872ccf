import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Settings } from '../api/types';
import { renderUi, stubApi } from '../test/render';
import { SettingsScreen } from './SettingsScreen';

afterEach(() => vi.unstubAllGlobals());

function server(initial: Settings, targets: unknown[] = []) {
  let current = initial;
  const calls = stubApi({
    'GET /api/settings': () => [200, current],
    'GET /api/channels': () => [200, { channels: targets }],
    'PATCH /api/settings': (body) => {
      const patch = body as Partial<Settings> & { bot_token?: string | null };
      if (patch.bot_token === 'bad') return [422, { error: { code: 'invalid', message: 'bad token', fields: { bot_token: 'expected a token from @BotFather' } } }];
      const { bot_token, ...rest } = patch;
      current = { ...current, ...rest };
      if (bot_token !== undefined) current = { ...current, bot_token_set: bot_token !== null, bot_username: bot_token ? 'gift_bot' : undefined };
      return [200, current];
    },
  });
  return calls;
}

const base: Settings = {
  bot_token_set: false,
  notification_chats: [],
  forced_target: -1001111111111,
  autobuy: false,
  report_lang: 'en',
  priority: 'scarcest_first',
};

describe('SettingsScreen', () => {
  it('switches autobuy with a PATCH of that field only and shows the state clearly', async () => {
    const calls = server(base);
    renderUi(<SettingsScreen />);
    const sw = await screen.findByRole('switch');
    expect(sw.getAttribute('aria-checked')).toBe('false');
    expect(screen.getByText(/Autobuy is OFF/)).toBeTruthy();
    fireEvent.click(sw);
    await waitFor(() => expect(screen.getByRole('switch').getAttribute('aria-checked')).toBe('true'));
    expect(screen.getByText(/Autobuy is ON/)).toBeTruthy();
    expect(calls.filter((c) => c.method === 'PATCH').map((c) => c.body)).toEqual([{ autobuy: true }]);
  });

  it('sends only changed targets, and null to clear the forced target', async () => {
    const calls = server(base);
    renderUi(<SettingsScreen />);
    const chats = await screen.findByLabelText('Notification chats');
    fireEvent.change(chats, { target: { value: '-1002222222222, 42' } });
    fireEvent.change(screen.getByLabelText('Forced buy target'), { target: { value: '' } });
    fireEvent.click(screen.getAllByRole('button', { name: 'Save' }).at(-1)!);
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH')).toBe(true));
    expect(calls.find((c) => c.method === 'PATCH')!.body).toEqual({ notification_chats: [-1002222222222, 42], forced_target: null });
  });

  it('changes the buying order with a PATCH of that field only, in either language', async () => {
    const calls = server(base);
    renderUi(<SettingsScreen />);
    const select = (await screen.findByLabelText('When the stars cannot buy every new gift')) as HTMLSelectElement;
    expect(select.value).toBe('scarcest_first');
    expect(screen.getByRole('option', { name: 'Priciest first: higher price, then smaller supply' })).toBeTruthy();
    fireEvent.change(select, { target: { value: 'priciest_first' } });
    await waitFor(() => expect((screen.getByLabelText('When the stars cannot buy every new gift') as HTMLSelectElement).value).toBe('priciest_first'));
    expect(calls.filter((c) => c.method === 'PATCH').map((c) => c.body)).toEqual([{ priority: 'priciest_first' }]);
  });

  it('names the buying order in Russian', async () => {
    server({ ...base, priority: 'priciest_first' });
    renderUi(<SettingsScreen />, 'ru');
    const select = (await screen.findByLabelText('Когда звёзд не хватает на все новые подарки')) as HTMLSelectElement;
    expect(select.value).toBe('priciest_first');
    expect(screen.getByRole('option', { name: 'Сначала редкие: меньший тираж, затем дороже' })).toBeTruthy();
  });

  it('keeps the bot token write-only: field errors, then the bot name once set', async () => {
    server(base);
    renderUi(<SettingsScreen />);
    const token = await screen.findByLabelText('Bot token');
    fireEvent.change(token, { target: { value: 'bad' } });
    fireEvent.click(screen.getAllByRole('button', { name: 'Save' })[0]!);
    expect(await screen.findByText('expected a token from @BotFather')).toBeTruthy();
    fireEvent.change(token, { target: { value: '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ' } });
    fireEvent.click(screen.getAllByRole('button', { name: 'Save' })[0]!);
    expect(await screen.findByText('Bot @gift_bot is set.')).toBeTruthy();
    expect((screen.getByLabelText('Bot token') as HTMLInputElement).value).toBe('');
  });

  it('suggests my channel targets only for the forced target', async () => {
    const target = (id: number, kind: string, channel_id: number | null, username: string | null, title: string | null) =>
      ({ id, kind, channel_id, username, title, price_min: null, price_max: null, supply_min: null, supply_max: null, exclude: { gift_ids: [], kinds: [] } });
    server(base, [target(1, 'self', null, null, 'Me'), target(2, 'channel', -1002222222222, null, 'Drops'), target(3, 'user', null, 'gift_friend', null)]);
    renderUi(<SettingsScreen />);
    const input = await screen.findByLabelText('Forced buy target');
    const list = screen.getByTestId('forced-target-options');
    expect(input.getAttribute('list')).toBe(list.id);
    await waitFor(() => expect([...list.querySelectorAll('option')].map((o) => [o.value, o.textContent])).toEqual([['-1002222222222', 'Drops']]));
  });
});
