import { describe, expect, it } from 'vitest';
import type { Gift } from '../api/types';
import { giftFeedReducer, initialGiftFeed, sseToAction, type GiftFeedState } from './giftStream';

function gift(id: number, over: Partial<Gift> = {}): Gift {
  return {
    id,
    title: `g${id}`,
    price: 100,
    limited: true,
    supply: 1000,
    remaining: 500,
    sold_out: false,
    require_premium: false,
    has_sticker: true,
    first_seen: id,
    last_seen: id,
    sold_out_at: null,
    ...over,
  };
}

const run = (state: GiftFeedState, ...events: [string, unknown][]) =>
  events.reduce((s, [name, body]) => {
    const action = sseToAction(name, JSON.stringify(body));
    return action ? giftFeedReducer(s, action) : s;
  }, state);

describe('gift feed reducer', () => {
  it('takes the snapshot without marking anything fresh', () => {
    const s = run(initialGiftFeed, ['snapshot', { gifts: [gift(1), gift(2)] }]);
    expect(s.loaded).toBe(true);
    expect(s.gifts.map((g) => g.id)).toEqual([1, 2]);
    expect(s.fresh.size).toBe(0);
  });

  it('highlights new gifts from new_gifts and from a catalog that brings unknown ids', () => {
    let s = run(initialGiftFeed, ['snapshot', { gifts: [gift(1)] }], ['new_gifts', { gifts: [3] }]);
    expect(s.fresh.has(3)).toBe(true);
    expect(s.stale).toBe(true); // the event has ids only: the list must be fetched
    s = run(s, ['catalog', { gifts: [gift(3), gift(2), gift(1)] }]);
    expect(s.gifts).toHaveLength(3);
    expect([...s.fresh].sort()).toEqual([2, 3]);
    expect(s.stale).toBe(false);
    s = giftFeedReducer(s, { type: 'seen', id: 3 });
    expect([...s.fresh]).toEqual([2]);
  });

  it('does not mark the seed catalog that fills an empty list as fresh', () => {
    const s = run(initialGiftFeed, ['snapshot', { gifts: [] }], ['catalog', { gifts: [gift(1), gift(2)] }]);
    expect(s.gifts).toHaveLength(2);
    expect(s.fresh.size).toBe(0);
  });

  it('updates remaining counts from a catalog', () => {
    let s = run(initialGiftFeed, ['snapshot', { gifts: [gift(1, { remaining: 500 })] }]);
    s = run(s, ['catalog', { gifts: [gift(1, { remaining: 120 })] }]);
    expect(s.gifts[0]!.remaining).toBe(120);
  });

  it('applies remaining counts from the remaining event, flipping a limited gift at zero', () => {
    let s = run(initialGiftFeed, ['snapshot', { gifts: [gift(1), gift(2)] }]);
    s = run(s, ['remaining', { gifts: [{ id: 1, remaining: 42 }, { id: 2, remaining: 0 }, { id: 9, remaining: 1 }] }]);
    expect(s.gifts.map((g) => [g.remaining, g.sold_out])).toEqual([[42, false], [0, true]]);
  });

  it('keeps huge Telegram ids exact end to end', () => {
    const data = '{"gifts":[{"id":7000000000000000003,"title":"a","price":1,"limited":false,"supply":null,"remaining":null,"sold_out":false,"require_premium":false,"has_sticker":false,"first_seen":1,"last_seen":1,"sold_out_at":null},{"id":7000000000000000004,"title":"b","price":1,"limited":false,"supply":null,"remaining":null,"sold_out":false,"require_premium":false,"has_sticker":false,"first_seen":1,"last_seen":1,"sold_out_at":null}]}';
    let s = giftFeedReducer(initialGiftFeed, sseToAction('snapshot', data)!);
    expect(s.gifts.map((g) => g.id)).toEqual(['7000000000000000003', '7000000000000000004']);
    s = giftFeedReducer(s, sseToAction('sold_out', '{"gifts":[7000000000000000004]}')!);
    expect(s.gifts.map((g) => g.sold_out)).toEqual([false, true]);
    s = giftFeedReducer(s, sseToAction('new_gifts', '{"gifts":[7000000000000000004]}')!);
    expect(s.stale).toBe(false);
    expect(s.fresh.has('7000000000000000004')).toBe(true);
  });

  it('flips sold-out gifts to zero remaining', () => {
    let s = run(initialGiftFeed, ['snapshot', { gifts: [gift(1), gift(2, { limited: false, supply: null, remaining: null })] }]);
    s = run(s, ['sold_out', { gifts: [1, 2] }]);
    expect(s.gifts[0]).toMatchObject({ sold_out: true, remaining: 0 });
    expect(s.gifts[0]!.sold_out_at).not.toBeNull();
    expect(s.gifts[1]).toMatchObject({ sold_out: true, remaining: null });
  });

  it('marks the list stale on lagged and clears it on the next list', () => {
    let s = run(initialGiftFeed, ['snapshot', { gifts: [gift(1)] }], ['lagged', { missed: 4 }]);
    expect(s.stale).toBe(true);
    s = giftFeedReducer(s, { type: 'loaded', gifts: [gift(1)] });
    expect(s.stale).toBe(false);
  });

  it('ignores unknown events and broken payloads', () => {
    expect(sseToAction('purchase', '{"gift":1}')).toBeNull();
    expect(sseToAction('catalog', 'not json')).toBeNull();
    expect(sseToAction('sold_out', '{"gifts":"x"}')).toBeNull();
    expect(sseToAction('new_gifts', '{"gifts":[1,"x",null,3]}')).toEqual({ type: 'new_gifts', ids: [1, 3] });
  });
});
