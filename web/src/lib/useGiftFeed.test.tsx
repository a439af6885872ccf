import { act, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoff, useGiftFeed } from './useGiftFeed';
import { useSessionRevoked } from './useSessionRevoked';

/** A scriptable EventSource: tests open, emit and fail it by hand. */
class FakeEventSource {
  static instances: FakeEventSource[] = [];
  url: string;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  private listeners = new Map<string, ((e: MessageEvent<string>) => void)[]>();
  constructor(url: string) {
    this.url = url;
    FakeEventSource.instances.push(this);
  }
  addEventListener(name: string, fn: (e: MessageEvent<string>) => void) {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), fn]);
  }
  close() {
    this.closed = true;
  }
  emit(name: string, data: string) {
    for (const fn of this.listeners.get(name) ?? []) fn(new MessageEvent(name, { data }));
  }
}

function Probe({ onPurchase }: { onPurchase?: (e: unknown) => void }) {
  const { state, status } = useGiftFeed(onPurchase);
  return (
    <div>
      <span data-testid="status">{status}</span>
      <span data-testid="ids">{state.gifts.map((g) => String(g.id)).join(',')}</span>
      <span data-testid="fresh">{[...state.fresh].map(String).join(',')}</span>
    </div>
  );
}

const gift = (id: string) =>
  `{"id":${id},"title":"g","price":1,"limited":true,"supply":10,"remaining":5,"sold_out":false,"require_premium":false,"has_sticker":false,"first_seen":1,"last_seen":1,"sold_out_at":null}`;

beforeEach(() => {
  FakeEventSource.instances = [];
  vi.useFakeTimers();
  vi.stubGlobal('EventSource', FakeEventSource);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('useGiftFeed', () => {
  it('applies stream events and reloads the list when new ids arrive', async () => {
    const fetchMock = vi.fn().mockResolvedValue(new Response(`{"gifts":[${gift('7000000000000000009')},${gift('7000000000000000001')}]}`, { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    render(<Probe />);
    const es = FakeEventSource.instances[0]!;
    expect(es.url).toBe('/api/gifts/stream');
    act(() => {
      es.onopen?.();
      es.emit('snapshot', `{"gifts":[${gift('7000000000000000001')}]}`);
    });
    expect(screen.getByTestId('status').textContent).toBe('live');
    expect(screen.getByTestId('ids').textContent).toBe('7000000000000000001');
    await act(async () => {
      es.emit('new_gifts', '{"gifts":[7000000000000000009]}');
      await vi.runAllTimersAsync();
    });
    expect(fetchMock).toHaveBeenCalledWith('/api/gifts', expect.anything());
    expect(screen.getByTestId('ids').textContent).toBe('7000000000000000009,7000000000000000001');
    expect(screen.getByTestId('fresh').textContent).toBe('7000000000000000009');
  });

  it('reconnects with a growing backoff after errors', () => {
    render(<Probe />);
    const first = FakeEventSource.instances[0]!;
    act(() => first.onerror?.());
    expect(first.closed).toBe(true);
    expect(screen.getByTestId('status').textContent).toBe('reconnecting');
    expect(FakeEventSource.instances).toHaveLength(1);
    act(() => void vi.advanceTimersByTime(backoff(0)));
    expect(FakeEventSource.instances).toHaveLength(2);
    act(() => FakeEventSource.instances[1]!.onerror?.());
    act(() => void vi.advanceTimersByTime(backoff(0)));
    expect(FakeEventSource.instances).toHaveLength(2); // the second wait is longer
    act(() => void vi.advanceTimersByTime(backoff(1)));
    expect(FakeEventSource.instances).toHaveLength(3);
    act(() => FakeEventSource.instances[2]!.onopen?.());
    expect(screen.getByTestId('status').textContent).toBe('live');
  });

  it('passes purchase events on and closes the stream on unmount', () => {
    const onPurchase = vi.fn();
    const { unmount } = render(<Probe onPurchase={onPurchase} />);
    const es = FakeEventSource.instances[0]!;
    act(() => es.emit('purchase', '{"account":1,"gift":7000000000000000005,"channel":-1001,"username":null,"outcome":"bought"}'));
    expect(onPurchase).toHaveBeenCalledWith({ account: 1, gift: '7000000000000000005', channel: -1001, username: null, outcome: 'bought' });
    act(() => es.emit('purchase', '{"account":1,"gift":2,"channel":null,"username":"gift_friend","outcome":"bought"}'));
    expect(onPurchase).toHaveBeenLastCalledWith({ account: 1, gift: 2, channel: null, username: 'gift_friend', outcome: 'bought' });
    unmount();
    expect(es.closed).toBe(true);
  });

  it('caps the backoff at 30 s', () => {
    expect([0, 1, 2, 10].map(backoff)).toEqual([1000, 2000, 4000, 30000]);
  });
});

function RevokedProbe({ onRevoked }: { onRevoked: (a: number) => void }) {
  useSessionRevoked(onRevoked);
  return null;
}

describe('useSessionRevoked', () => {
  it('reports the account Telegram logged out', () => {
    const onRevoked = vi.fn();
    render(<RevokedProbe onRevoked={onRevoked} />);
    act(() => FakeEventSource.instances[0]!.emit('session_revoked', '{"account":7230754733}'));
    expect(onRevoked).toHaveBeenCalledWith(7230754733);
  });
});
