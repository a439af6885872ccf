import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderUi, stubApi } from '../test/render';
import { ResaleScreen } from './ResaleScreen';

afterEach(() => vi.unstubAllGlobals());

const channel = { id: 7, kind: 'channel', channel_id: -1001234567890, username: null, title: 'Collection', price_min: null, price_max: null, supply_min: null, supply_max: null, exclude: { gift_ids: [], kinds: [] } };
const watch = { id: 3, gift_id: 5170145012310081615n.toString(), max_price: 2500, copies: 2, bought: 1, model: 'cap', backdrop: null, symbol: null, to_channel_id: -1001234567890 };

describe('ResaleScreen', () => {
  it('lists watches with their progress and receiver, shows live listings and what was bought', async () => {
    stubApi({
      'GET /api/resale/watches': () => [200, { watches: [watch] }],
      'GET /api/channels': () => [200, { channels: [channel] }],
      'GET /api/resale/purchases': () => [
        200,
        { purchases: [{ id: 1, watch_id: 3, account_id: 11, gift_id: watch.gift_id, slug: 'pepe-9', price: 2400, to_channel_id: null, status: 'unknown', error: 'timeout', updated_at: 1_800_000_000 }] },
      ],
      'GET /api/resale/listings/5170145012310081615': () => [
        200,
        { count: 1, listings: [{ unique_id: 1, gift_id: watch.gift_id, slug: 'pepe-10', title: 'Plush Pepe', num: 10, price: 2600, model: 'Cap', backdrop: 'Black', symbol: null, require_premium: false }] },
      ],
    });
    renderUi(<ResaleScreen />);
    const row = await screen.findByTestId('resale-watch');
    expect(within(row).getByText('Gift 5170145012310081615 · up to ★2,500')).toBeTruthy();
    await waitFor(() => expect(row.textContent).toContain('cap · 1 of 2 bought · Collection'));
    fireEvent.click(within(row).getByRole('button', { name: 'Listings' }));
    const listings = await screen.findByTestId('resale-listings');
    expect(listings.textContent).toContain('Plush Pepe #10');
    expect(listings.textContent).toContain('★2,600');
    expect(listings.textContent).toContain('Cap · Black');
    const bought = await screen.findByTestId('resale-purchase');
    expect(bought.textContent).toContain('pepe-9 · ★2,400');
    expect(bought.textContent).toContain('outcome unknown, not resent (timeout)');
    expect(bought.textContent).toContain('The buying account');
  });

  it('sends a new watch with the gift id as an exact string and shows the server\'s field errors', async () => {
    let sent: unknown = null;
    const calls = stubApi({
      'GET /api/resale/watches': () => [200, { watches: [] }],
      'GET /api/channels': () => [200, { channels: [channel] }],
      'GET /api/resale/purchases': () => [200, { purchases: [] }],
      'POST /api/resale/watches': (body) => {
        sent = body;
        return [422, { error: { code: 'invalid', message: 'model: too long', fields: { model: 'model must be 1 to 64 characters without control characters' } } }];
      },
    });
    renderUi(<ResaleScreen />);
    await screen.findByText('No watches yet.');
    // Local checks first: nothing is sent while the gift id is not a number.
    fireEvent.change(screen.getByLabelText('Gift id'), { target: { value: 'abc' } });
    fireEvent.change(screen.getByLabelText('Max price (stars)'), { target: { value: '2500' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add watch' }));
    expect(await screen.findByText('A gift id is a positive number')).toBeTruthy();
    expect(calls.some((call) => call.method === 'POST')).toBe(false);

    fireEvent.change(screen.getByLabelText('Gift id'), { target: { value: '5170145012310081615' } });
    fireEvent.change(screen.getByLabelText('Model (optional)'), { target: { value: 'x'.repeat(70) } });
    fireEvent.change(screen.getByLabelText('Receiver'), { target: { value: '-1001234567890' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add watch' }));
    expect(await screen.findByText('model must be 1 to 64 characters without control characters')).toBeTruthy();
    expect(sent).toEqual({
      gift_id: '5170145012310081615',
      max_price: 2500,
      copies: 1,
      model: 'x'.repeat(70),
      backdrop: null,
      symbol: null,
      to_channel_id: -1001234567890,
      to_username: null,
    });
  });

  it('sends a person by username as the receiver and shows them as @name, in either language', async () => {
    let sent: unknown = null;
    let watches: unknown[] = [];
    stubApi({
      'GET /api/resale/watches': () => [200, { watches }],
      'GET /api/channels': () => [200, { channels: [channel] }],
      'GET /api/resale/purchases': () => [200, { purchases: [] }],
      'POST /api/resale/watches': (body) => {
        sent = body;
        if ((body as { to_username: string }).to_username === 'x') {
          return [422, { error: { code: 'invalid', message: 'to_username: bad', fields: { to_username: 'telegram username must be 5 to 32 latin letters' } } }];
        }
        watches = [{ ...watch, to_channel_id: null, to_username: 'gift_friend' }];
        return [201, watches[0]];
      },
    });
    renderUi(<ResaleScreen />);
    await screen.findByText('No watches yet.');
    fireEvent.change(screen.getByLabelText('Gift id'), { target: { value: '77' } });
    fireEvent.change(screen.getByLabelText('Max price (stars)'), { target: { value: '900' } });
    expect(screen.queryByLabelText('Their username')).toBeNull();
    fireEvent.change(screen.getByLabelText('Receiver'), { target: { value: 'person' } });
    fireEvent.change(screen.getByLabelText('Their username'), { target: { value: 'x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add watch' }));
    expect(await screen.findByText('telegram username must be 5 to 32 latin letters')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Their username'), { target: { value: ' @Gift_Friend ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add watch' }));
    await waitFor(() => expect((sent as { to_username: string }).to_username).toBe('@Gift_Friend'));
    expect(sent).toMatchObject({ to_channel_id: null });
    expect(await screen.findByText(/@gift_friend/)).toBeTruthy();
  });

  it('offers only my channel targets as receivers, not self or person targets', async () => {
    const self = { ...channel, id: 8, kind: 'self', channel_id: null, title: 'Me' };
    const person = { ...channel, id: 9, kind: 'user', channel_id: null, username: 'gift_friend', title: 'Friend' };
    stubApi({
      'GET /api/resale/watches': () => [200, { watches: [] }],
      'GET /api/channels': () => [200, { channels: [self, channel, person] }],
      'GET /api/resale/purchases': () => [200, { purchases: [] }],
    });
    renderUi(<ResaleScreen />);
    await screen.findByText('No watches yet.');
    const picker = screen.getByLabelText('Receiver') as HTMLSelectElement;
    await waitFor(() => expect([...picker.options].map((o) => o.textContent)).toEqual(['The buying account', 'Collection', 'A person, by @username']));
  });

  it('offers a person as the receiver in Russian', async () => {
    stubApi({
      'GET /api/resale/watches': () => [200, { watches: [] }],
      'GET /api/channels': () => [200, { channels: [] }],
      'GET /api/resale/purchases': () => [200, { purchases: [] }],
    });
    renderUi(<ResaleScreen />, 'ru');
    expect(await screen.findByRole('option', { name: 'Человек, по @username' })).toBeTruthy();
  });
});

/** An EventSource the test emits on by hand. */
class FakeEventSource {
  static last: FakeEventSource | null = null;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  private listeners = new Map<string, ((e: MessageEvent<string>) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(name: string, fn: (e: MessageEvent<string>) => void) {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), fn]);
  }
  close() {}
  emit(name: string, data: string) {
    for (const fn of this.listeners.get(name) ?? []) fn(new MessageEvent(name, { data }));
  }
}

describe('ResaleScreen live', () => {
  it('reloads what was bought when the stream says one of my resale purchases ended', async () => {
    vi.stubGlobal('EventSource', FakeEventSource);
    let purchases: unknown[] = [];
    stubApi({
      'GET /api/resale/watches': () => [200, { watches: [] }],
      'GET /api/channels': () => [200, { channels: [] }],
      'GET /api/resale/purchases': () => [200, { purchases }],
    });
    renderUi(<ResaleScreen />);
    await screen.findByText('Nothing bought yet.');
    expect(FakeEventSource.last?.url).toBe('/api/gifts/stream');
    purchases = [{ id: 2, watch_id: 1, account_id: 11, gift_id: '77', slug: 'heart-90', price: 900, to_channel_id: null, status: 'bought', error: null, updated_at: 1_800_000_000 }];
    act(() => FakeEventSource.last?.emit('resale_purchase', '{"account":11,"slug":"heart-90","outcome":"bought"}'));
    const row = await screen.findByTestId('resale-purchase');
    expect(row.textContent).toContain('heart-90 · ★900');
  });
});
