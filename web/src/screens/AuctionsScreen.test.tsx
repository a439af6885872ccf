import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderUi, stubApi } from '../test/render';
import { AuctionsScreen, countdown } from './AuctionsScreen';

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const GIFT = '5170145012310081615';
const channel = { id: 7, kind: 'channel', channel_id: -1001234567890, username: null, title: 'Collection', price_min: null, price_max: null, supply_min: null, supply_max: null, exclude: { gift_ids: [], kinds: [] } };
const auctionGift = {
  id: GIFT,
  title: 'Plush Pepe',
  price: 1000,
  limited: true,
  supply: 100,
  remaining: 100,
  sold_out: false,
  require_premium: false,
  has_sticker: false,
  first_seen: 1_700_000_000,
  last_seen: 1_700_000_000,
  sold_out_at: null,
  auction: { slug: 'pepe', gifts_per_round: 2, start_date: 1_700_000_000 },
};
const plainGift = { ...auctionGift, id: 77, title: 'Heart', auction: null };
const plan = { id: 3, gift_id: GIFT, max_bid: 5000, wanted: 2, to_channel_id: -1001234567890 };
const running = {
  status: 'running',
  version: 4,
  current_round: 2,
  total_rounds: 5,
  gifts_left: 8,
  gifts_per_round: 2,
  min_bid: 100,
  start_date: 1_700_000_000,
  end_date: 4_000_000_000,
  next_round_at: 4_000_000_000,
  levels: [
    { pos: 1, amount: 3000 },
    { pos: 2, amount: 2500 },
    { pos: 3, amount: 2000 },
  ],
  account_id: 11,
  my: { bid: 2500, min_bid: 2600, returned: false, acquired: 1, position: 2 },
};
const bid = { id: 9, plan_id: 3, gift_id: GIFT, account_id: 11, to_channel_id: null, total: 2500, standing: 2000, status: 'unknown', error: 'timeout', updated_at: 1_800_000_000 };

/** The answers of a view with one plan, its running auction and one bid, merged with `extra`. */
function routes(extra: Record<string, (body: unknown) => [number, unknown]> = {}) {
  return {
    'GET /api/auctions/budget': (): [number, unknown] => [200, { budget: 0 }],
    'GET /api/auctions/plans': (): [number, unknown] => [200, { plans: [plan] }],
    'GET /api/auctions/bids': (): [number, unknown] => [200, { bids: [bid] }],
    'GET /api/gifts': (): [number, unknown] => [200, { gifts: [auctionGift, plainGift] }],
    'GET /api/channels': (): [number, unknown] => [200, { channels: [channel] }],
    [`GET /api/auctions/${GIFT}/state`]: (): [number, unknown] => [200, running],
    ...extra,
  };
}

describe('AuctionsScreen', () => {
  it('shows the budget off with its warning, each plan with its live auction, and my bids', async () => {
    stubApi(routes());
    renderUi(<AuctionsScreen />);
    expect((await screen.findByTestId('budget-state')).textContent).toBe('Bidding is off.');
    expect(screen.getByTestId('budget-warning').textContent).toContain('0 turns bidding off');
    const row = await screen.findByTestId('auction-plan');
    await waitFor(() => expect(within(row).getByText('Plush Pepe · up to ★5,000')).toBeTruthy());
    expect(row.textContent).toContain('2 wanted · Collection');
    const live = await within(row).findByTestId('auction-state');
    expect(live.textContent).toContain('Round 2 of 5 · 8 gifts left · minimum bid ★100 · next round in');
    expect(within(live).getByTestId('auction-my-bid').textContent).toBe('My bid: ★2,500 · winning a slot (position 2 or better) · 1 of 2 won');
    expect(live.textContent).toContain('#1 ★3,000 · #2 ★2,500 · #3 ★2,000');
    const journal = await screen.findByTestId('auction-bid');
    expect(journal.textContent).toContain('Plush Pepe · ★2,500');
    expect(journal.textContent).toContain('outcome unknown, not resent (timeout) · raised from ★2,000 · This account (the bidder)');
  });

  it('names a person who receives the gifts by their username', async () => {
    stubApi(routes({ 'GET /api/auctions/bids': () => [200, { bids: [{ ...bid, to_username: 'durov' }] }] }));
    renderUi(<AuctionsScreen />);
    expect((await screen.findByTestId('auction-bid')).textContent).toContain('· @durov ·');
  });

  it('tells an outbid, a returned bid and a finished auction apart, and shows why a state cannot be read', async () => {
    let answer: [number, unknown] = [200, { ...running, my: { ...running.my, bid: 1900, position: 4 } }];
    stubApi(routes({ [`GET /api/auctions/${GIFT}/state`]: () => answer }));
    renderUi(<AuctionsScreen />);
    const myBid = await screen.findByTestId('auction-my-bid');
    expect(myBid.textContent).toContain('outbid (position 4 or lower)');
    answer = [200, { ...running, my: { ...running.my, returned: true } }];
    cleanupAndRender();
    expect((await screen.findByTestId('auction-my-bid')).textContent).toContain('returned: its stars came back');
    answer = [200, { ...running, status: 'finished', levels: [], my: { ...running.my, acquired: 2 } }];
    cleanupAndRender();
    expect((await screen.findByTestId('auction-state')).textContent).toBe('The auction has ended. 2 of 2 won');
    answer = [409, { error: { code: 'conflict', message: 'a logged-in account to ask with already exists' } }];
    cleanupAndRender();
    expect(await screen.findByText(/^Live state unavailable: /)).toBeTruthy();
  });

  it('sends a new plan with the gift id as an exact string and shows the server\'s field errors on their fields', async () => {
    let sent: unknown = null;
    const calls = stubApi(
      routes({
        'GET /api/auctions/plans': () => [200, { plans: [] }],
        'POST /api/auctions/plans': (body) => {
          sent = body;
          return [422, { error: { code: 'invalid', message: 'wanted: wanted must be between 1 and 10, got 12', fields: { wanted: 'wanted must be between 1 and 10, got 12' } } }];
        },
      }),
    );
    renderUi(<AuctionsScreen />);
    await screen.findByText('No plans yet.');
    // Only auction gifts are offered.
    const picker = screen.getByLabelText('Auction gift');
    await waitFor(() => expect(within(picker).getAllByRole('option').map((o) => o.textContent)).toEqual(['Choose a gift', 'Plush Pepe · ★1,000']));
    // Local checks first: nothing is sent without a gift and a number.
    fireEvent.change(screen.getByLabelText('Max bid (stars)'), { target: { value: 'lots' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add plan' }));
    expect(await screen.findByText('Choose an auction gift')).toBeTruthy();
    expect(screen.getByText('Enter a whole number')).toBeTruthy();
    expect(calls.some((call) => call.method === 'POST')).toBe(false);

    fireEvent.change(picker, { target: { value: GIFT } });
    fireEvent.change(screen.getByLabelText('Max bid (stars)'), { target: { value: '5000' } });
    fireEvent.change(screen.getByLabelText('How many gifts'), { target: { value: '12' } });
    fireEvent.change(screen.getByLabelText('Receiver'), { target: { value: '-1001234567890' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add plan' }));
    const error = await screen.findByText('wanted must be between 1 and 10, got 12');
    expect(error.closest('.field')?.querySelector('label')?.textContent).toBe('How many gifts');
    expect(sent).toEqual({ gift_id: GIFT, max_bid: 5000, wanted: 12, to_channel_id: -1001234567890, to_username: null });
  });

  it('preselects the gift the Gifts screen linked to and adds the plan for the bidding account', async () => {
    window.history.replaceState(null, '', `/auctions?gift=${GIFT}`);
    let plans: unknown[] = [];
    let sent: unknown = null;
    stubApi(
      routes({
        'GET /api/auctions/plans': () => [200, { plans }],
        'POST /api/auctions/plans': (body) => {
          sent = body;
          plans = [{ ...plan, to_channel_id: null, wanted: 1 }];
          return [201, plans[0]];
        },
      }),
    );
    renderUi(<AuctionsScreen />);
    await screen.findByText('No plans yet.');
    expect((screen.getByLabelText('Auction gift') as HTMLSelectElement).value).toBe(GIFT);
    fireEvent.change(screen.getByLabelText('Max bid (stars)'), { target: { value: '5000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add plan' }));
    const row = await screen.findByTestId('auction-plan');
    expect(sent).toEqual({ gift_id: GIFT, max_bid: 5000, wanted: 1, to_channel_id: null, to_username: null });
    expect(row.textContent).toContain('1 wanted · This account (the bidder)');
    expect((screen.getByLabelText('Auction gift') as HTMLSelectElement).value).toBe('');
  });

  it('deletes a plan only after confirmation', async () => {
    let plans: unknown[] = [plan];
    const calls = stubApi(
      routes({
        'GET /api/auctions/plans': () => [200, { plans }],
        'DELETE /api/auctions/plans/3': () => {
          plans = [];
          return [204, undefined];
        },
      }),
    );
    renderUi(<AuctionsScreen />);
    const row = await screen.findByTestId('auction-plan');
    fireEvent.click(within(row).getByRole('button', { name: 'Delete' }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog.textContent).toContain('A bid that stands stays in the auction');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(calls.some((call) => call.method === 'DELETE')).toBe(false);
    fireEvent.click(within(row).getByRole('button', { name: 'Delete' }));
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText('No plans yet.')).toBeTruthy();
    expect(calls.filter((call) => call.method === 'DELETE').map((call) => call.path)).toEqual(['/api/auctions/plans/3']);
  });

  it('saves the budget, shows bidding on, and shows an out-of-range answer on the field', async () => {
    const sent: unknown[] = [];
    stubApi(
      routes({
        'PUT /api/auctions/budget': (body) => {
          sent.push(body);
          const budget = (body as { budget: number }).budget;
          if (budget > 100_000_000) return [422, { error: { code: 'invalid', message: 'budget: too much', fields: { budget: 'must be between 0 and 100000000 stars, got 100000001' } } }];
          return [200, { budget }];
        },
      }),
    );
    renderUi(<AuctionsScreen />);
    const field = await screen.findByLabelText('Budget (stars)');
    expect((field as HTMLInputElement).value).toBe('0');
    fireEvent.change(field, { target: { value: '12000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.getByTestId('budget-state').textContent).toBe('Bidding is on: your bids hold at most ★12,000 at once.'));
    expect((screen.getByLabelText('Budget (stars)') as HTMLInputElement).value).toBe('12000');
    fireEvent.change(screen.getByLabelText('Budget (stars)'), { target: { value: '100000001' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('must be between 0 and 100000000 stars, got 100000001')).toBeTruthy();
    expect(screen.getByTestId('budget-state').textContent).toContain('★12,000');
    expect(sent).toEqual([{ budget: 12000 }, { budget: 100000001 }]);
  });

  it('speaks Russian', async () => {
    stubApi(routes({ 'GET /api/auctions/budget': () => [200, { budget: 500 }] }));
    renderUi(<AuctionsScreen />, 'ru');
    expect(await screen.findByRole('heading', { level: 1, name: 'Аукционы' })).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId('budget-state').textContent).toBe('Ставки включены: ваши ставки держат не больше ★500 одновременно.'));
    expect((await screen.findByTestId('auction-my-bid')).textContent).toContain('выигрывает место (позиция 2 или выше)');
    expect((await screen.findByTestId('auction-bid')).textContent).toContain('результат неизвестен, повторно не отправлялась');
    expect(screen.getByRole('button', { name: 'Добавить план' })).toBeTruthy();
  });

  it('counts down to the next round', () => {
    expect(countdown(1000, 1000 - 65)).toBe('1:05');
    expect(countdown(10_000, 10_000 - 3725)).toBe('1:02:05');
    expect(countdown(5, 10)).toBe('0:00');
  });
});

/** Renders the view again from scratch, as a fresh visit would. */
function cleanupAndRender() {
  cleanup();
  renderUi(<AuctionsScreen />);
}

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

describe('AuctionsScreen live', () => {
  it('reloads my bids and reads the auction again at once when the stream says one of my bids ended', async () => {
    vi.stubGlobal('EventSource', FakeEventSource);
    let bids: unknown[] = [];
    const calls = stubApi(routes({ 'GET /api/auctions/bids': () => [200, { bids }] }));
    renderUi(<AuctionsScreen />);
    await screen.findByText('No bids yet.');
    await screen.findByTestId('auction-state');
    const reads = () => calls.filter((call) => call.path === `/api/auctions/${GIFT}/state`).length;
    const before = reads();
    expect(FakeEventSource.last?.url).toBe('/api/gifts/stream');
    bids = [{ ...bid, status: 'bought', error: null, standing: null }];
    act(() => FakeEventSource.last?.emit('bid', `{"account":11,"gift_id":"${GIFT}","total":2500,"outcome":"placed"}`));
    const row = await screen.findByTestId('auction-bid');
    expect(row.textContent).toContain('Plush Pepe · ★2,500');
    expect(row.textContent).toContain('placed');
    // Within waitFor's one second, well before the next periodic read (every 5 s), the state
    // was read again.
    await waitFor(() => expect(reads()).toBeGreaterThan(before));
  });

  it('offers an auction gift that the stream brings after the view opened', async () => {
    vi.stubGlobal('EventSource', FakeEventSource);
    stubApi(routes({ 'GET /api/gifts': () => [200, { gifts: [] }], 'GET /api/auctions/plans': () => [200, { plans: [] }] }));
    renderUi(<AuctionsScreen />);
    await screen.findByTestId('auction-bid');
    const options = () => [...(screen.getByLabelText('Auction gift') as HTMLSelectElement).options].map((o) => o.value);
    expect(options()).toEqual(['']);
    // The first poll of a newly logged-in account updates the catalog: it comes as an event.
    act(() => FakeEventSource.last?.emit('catalog', JSON.stringify({ gifts: [auctionGift, plainGift] })));
    await waitFor(() => expect(options()).toEqual(['', GIFT]));
  });
});
