import { request } from '../api/http';
import type { BigId } from '../api/json';

/** Sticker JSON by gift id, fetched once per page load (the server also lets the browser cache it). */
const cache = new Map<BigId, Promise<unknown>>();

export function loadSticker(giftId: BigId): Promise<unknown> {
  let entry = cache.get(giftId);
  if (!entry) {
    entry = request<unknown>('GET', `/api/gifts/${giftId}/sticker`);
    entry.catch(() => cache.delete(giftId));
    cache.set(giftId, entry);
  }
  return entry;
}

type Lottie = typeof import('lottie-web/build/player/lottie_light').default;
let lottie: Promise<Lottie> | null = null;

/** The light (no eval) Lottie player, loaded on first use so the main bundle stays small. */
export function loadLottie(): Promise<Lottie> {
  lottie ??= import('lottie-web/build/player/lottie_light').then((m) => m.default);
  return lottie;
}
