import { parseJson, type BigId } from '../api/json';
import type { Gift } from '../api/types';

/** What the Gifts screen knows from GET /api/gifts and the live stream. */
export interface GiftFeedState {
  gifts: Gift[];
  /** Gifts that appeared while the user was watching: highlighted until seen. */
  fresh: ReadonlySet<BigId>;
  /** Set when the list is behind the stream (events were missed, or new ids arrived): fetch it again. */
  stale: boolean;
  /** Whether a first list (snapshot or fetch) has arrived. */
  loaded: boolean;
}

export type GiftFeedAction =
  | { type: 'snapshot'; gifts: Gift[] }
  | { type: 'catalog'; gifts: Gift[] }
  | { type: 'loaded'; gifts: Gift[] }
  | { type: 'new_gifts'; ids: BigId[] }
  | { type: 'sold_out'; ids: BigId[] }
  | { type: 'remaining'; counts: { id: BigId; remaining: number }[] }
  | { type: 'lagged' }
  | { type: 'seen'; id: BigId };

export const initialGiftFeed: GiftFeedState = { gifts: [], fresh: new Set(), stale: false, loaded: false };

function withFresh(fresh: ReadonlySet<BigId>, ids: Iterable<BigId>): ReadonlySet<BigId> {
  const next = new Set(fresh);
  for (const id of ids) next.add(id);
  return next;
}

/**
 * Replaces the list. Gifts unseen before are marked fresh only when a non-empty list was
 * already shown: the first catalog the engine reads is a seed, not a drop.
 */
function replace(state: GiftFeedState, gifts: Gift[]): GiftFeedState {
  const known = new Set(state.gifts.map((g) => g.id));
  const added = state.loaded && state.gifts.length > 0 ? gifts.filter((g) => !known.has(g.id)).map((g) => g.id) : [];
  return { gifts, fresh: withFresh(state.fresh, added), stale: false, loaded: true };
}

export function giftFeedReducer(state: GiftFeedState, action: GiftFeedAction): GiftFeedState {
  switch (action.type) {
    case 'snapshot':
    case 'catalog':
    case 'loaded':
      return replace(state, action.gifts);
    case 'new_gifts': {
      // The event carries ids only: a gift not in the list yet makes the list stale.
      const known = new Set(state.gifts.map((g) => g.id));
      const unknown = action.ids.some((id) => !known.has(id));
      return { ...state, fresh: withFresh(state.fresh, action.ids), stale: state.stale || unknown };
    }
    case 'sold_out': {
      const ids = new Set(action.ids);
      const now = Math.floor(Date.now() / 1000);
      return {
        ...state,
        gifts: state.gifts.map((g) =>
          ids.has(g.id) && !g.sold_out ? { ...g, sold_out: true, remaining: g.limited ? 0 : g.remaining, sold_out_at: g.sold_out_at ?? now } : g,
        ),
      };
    }
    case 'remaining': {
      const counts = new Map(action.counts.map((c) => [c.id, c.remaining]));
      let changed = false;
      const gifts = state.gifts.map((g) => {
        const left = counts.get(g.id);
        if (left === undefined || left === g.remaining) return g;
        changed = true;
        return { ...g, remaining: left, sold_out: g.sold_out || (g.limited && left === 0) };
      });
      return changed ? { ...state, gifts } : state;
    }
    case 'lagged':
      return { ...state, stale: true };
    case 'seen': {
      if (!state.fresh.has(action.id)) return state;
      const fresh = new Set(state.fresh);
      fresh.delete(action.id);
      return { ...state, fresh };
    }
  }
}

const isId = (x: unknown): x is BigId => typeof x === 'number' || (typeof x === 'string' && /^-?\d+$/.test(x));

/** Parses one SSE message into an action; unknown events or broken payloads give null. */
export function sseToAction(event: string, data: string): GiftFeedAction | null {
  let body: unknown;
  try {
    body = parseJson(data);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null) return null;
  const list = (body as { gifts?: unknown }).gifts;
  switch (event) {
    case 'snapshot':
    case 'catalog':
      return Array.isArray(list) ? { type: event, gifts: list as Gift[] } : null;
    case 'new_gifts':
    case 'sold_out':
      return Array.isArray(list) ? { type: event, ids: list.filter(isId) } : null;
    case 'remaining':
      if (!Array.isArray(list)) return null;
      return {
        type: 'remaining',
        counts: list.filter(
          (x): x is { id: BigId; remaining: number } =>
            typeof x === 'object' && x !== null && isId((x as { id?: unknown }).id) && typeof (x as { remaining?: unknown }).remaining === 'number',
        ),
      };
    case 'lagged':
      return { type: 'lagged' };
    default:
      return null;
  }
}
