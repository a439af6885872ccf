import { describe, expect, it } from 'vitest';
import type { Gift } from '../api/types';
import { applyGiftFilter, defaultFilter } from './giftFilters';

const g = (id: number, over: Partial<Gift>): Gift => ({
  id, title: null, price: 100, limited: false, supply: null, remaining: null, sold_out: false,
  require_premium: false, has_sticker: false, first_seen: id, last_seen: id, sold_out_at: null, ...over,
});

const gifts = [
  g(1, { price: 50 }),
  g(2, { price: 500, limited: true, supply: 1000, remaining: 10 }),
  g(3, { price: 2500, limited: true, supply: 100, remaining: 0, sold_out: true }),
  g(4, { price: 1000, limited: true, supply: 5000, remaining: 4000, require_premium: true }),
];

describe('applyGiftFilter', () => {
  it('sorts newest first by default', () => {
    expect(applyGiftFilter(gifts, defaultFilter).map((x) => x.id)).toEqual([4, 3, 2, 1]);
  });
  it('filters limited, in stock and premium-only', () => {
    expect(applyGiftFilter(gifts, { ...defaultFilter, limitedOnly: true, inStock: true }).map((x) => x.id)).toEqual([4, 2]);
    expect(applyGiftFilter(gifts, { ...defaultFilter, premiumOnly: true }).map((x) => x.id)).toEqual([4]);
  });
  it('filters by price and supply ranges (unlimited gifts fall out of a supply range)', () => {
    expect(applyGiftFilter(gifts, { ...defaultFilter, priceMin: '100', priceMax: '1000', sort: 'price_asc' }).map((x) => x.id)).toEqual([2, 4]);
    expect(applyGiftFilter(gifts, { ...defaultFilter, supplyMax: '1000', sort: 'supply_asc' }).map((x) => x.id)).toEqual([3, 2]);
  });
  it('sorts by price and remaining without touching its input', () => {
    const before = gifts.map((x) => x.id);
    expect(applyGiftFilter(gifts, { ...defaultFilter, sort: 'price_desc' }).map((x) => x.id)).toEqual([3, 4, 2, 1]);
    expect(applyGiftFilter(gifts, { ...defaultFilter, sort: 'remaining_asc' }).map((x) => x.id)).toEqual([3, 2, 4, 1]);
    expect(gifts.map((x) => x.id)).toEqual(before);
  });
});

describe('saved filters', () => {
  it('round-trips and refuses junk field by field', async () => {
    const { loadFilter, saveFilter } = await import('./giftFilters');
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    expect(loadFilter(storage)).toEqual(defaultFilter);
    saveFilter({ ...defaultFilter, inStock: true, priceMax: '500', sort: 'price_desc' }, storage);
    expect(loadFilter(storage)).toEqual({ ...defaultFilter, inStock: true, priceMax: '500', sort: 'price_desc' });
    store.set('giftbuyer.giftFilter', '{"inStock":"yes","sort":"bogus","priceMin":5}');
    expect(loadFilter(storage)).toEqual(defaultFilter);
    store.set('giftbuyer.giftFilter', 'not json');
    expect(loadFilter(storage)).toEqual(defaultFilter);
  });
});
