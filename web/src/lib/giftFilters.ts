import { compareIds } from '../api/json';
import type { Gift } from '../api/types';

export type GiftSort = 'newest' | 'price_asc' | 'price_desc' | 'remaining_asc' | 'supply_asc';

export interface GiftFilter {
  limitedOnly: boolean;
  inStock: boolean;
  premiumOnly: boolean;
  priceMin: string;
  priceMax: string;
  supplyMin: string;
  supplyMax: string;
  sort: GiftSort;
}

export const defaultFilter: GiftFilter = {
  limitedOnly: false,
  inStock: false,
  premiumOnly: false,
  priceMin: '',
  priceMax: '',
  supplyMin: '',
  supplyMax: '',
  sort: 'newest',
};

const STORAGE_KEY = 'giftbuyer.giftFilter';
const SORTS: readonly GiftSort[] = ['newest', 'price_asc', 'price_desc', 'remaining_asc', 'supply_asc'];

/** The filter saved by the last visit, checked field by field (storage can hold anything). */
export function loadFilter(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): GiftFilter {
  try {
    const raw: unknown = JSON.parse(storage?.getItem(STORAGE_KEY) ?? 'null');
    if (typeof raw !== 'object' || raw === null) return defaultFilter;
    const r = raw as Record<string, unknown>;
    const bool = (k: keyof GiftFilter) => (typeof r[k] === 'boolean' ? (r[k] as boolean) : (defaultFilter[k] as boolean));
    const text = (k: keyof GiftFilter) => (typeof r[k] === 'string' ? (r[k] as string) : '');
    return {
      limitedOnly: bool('limitedOnly'),
      inStock: bool('inStock'),
      premiumOnly: bool('premiumOnly'),
      priceMin: text('priceMin'),
      priceMax: text('priceMax'),
      supplyMin: text('supplyMin'),
      supplyMax: text('supplyMax'),
      sort: SORTS.includes(r.sort as GiftSort) ? (r.sort as GiftSort) : 'newest',
    };
  } catch {
    return defaultFilter;
  }
}

export function saveFilter(filter: GiftFilter, storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(filter));
  } catch {
    /* storage full or disabled */
  }
}

function bound(text: string): number | null {
  if (text.trim() === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

function inRange(value: number | null, min: number | null, max: number | null): boolean {
  if (min === null && max === null) return true;
  if (value === null) return false;
  return (min === null || value >= min) && (max === null || value <= max);
}

const compare: Record<GiftSort, (a: Gift, b: Gift) => number> = {
  newest: (a, b) => b.first_seen - a.first_seen || compareIds(b.id, a.id),
  price_asc: (a, b) => a.price - b.price || compareIds(b.id, a.id),
  price_desc: (a, b) => b.price - a.price || compareIds(b.id, a.id),
  remaining_asc: (a, b) => (a.remaining ?? Infinity) - (b.remaining ?? Infinity) || compareIds(b.id, a.id),
  supply_asc: (a, b) => (a.supply ?? Infinity) - (b.supply ?? Infinity) || compareIds(b.id, a.id),
};

/** The gifts the filter lets through, sorted as asked. Does not modify its input. */
export function applyGiftFilter(gifts: readonly Gift[], f: GiftFilter): Gift[] {
  const pMin = bound(f.priceMin);
  const pMax = bound(f.priceMax);
  const sMin = bound(f.supplyMin);
  const sMax = bound(f.supplyMax);
  return gifts
    .filter(
      (g) =>
        (!f.limitedOnly || g.limited) &&
        (!f.inStock || !g.sold_out) &&
        (!f.premiumOnly || g.require_premium) &&
        inRange(g.price, pMin, pMax) &&
        inRange(g.supply, sMin, sMax),
    )
    .sort(compare[f.sort]);
}
