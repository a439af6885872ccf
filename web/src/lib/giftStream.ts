import type { Gift } from '../api/types';

/** What the Gifts screen knows from GET /api/gifts and the live stream. */
export interface GiftFeedState {
  gifts: Gift[];
  /** Gifts that appeared while the user was watching: highlighted until seen. */
  fresh: ReadonlySet<number>;
  /** Set when events were missed: the catalog must be fetched again. */
  stale: boolean;
  /** Whether a first list (snapshot or fetch) has arrived. */
  loaded: boolean;
}

export type GiftFeedAction =
  | { type: 'snapshot'; gifts: Gift[] }
  | { type: 'catalog'; gifts: Gift[] }
  | { type: 'loaded'; gifts: Gift[] }
  | { type: 'new_gifts'; ids: number[] }
  | { type: 'sold_out'; ids: number[] }
  | { type: 'lagged' }
  | { type: 'seen'; id: number };

export const initialGiftFeed: GiftFeedState = { gifts: [], fresh: new Set(), stale: false, loaded: false };

function withFresh(fresh: ReadonlySet<number>, ids: Iterable<number>): ReadonlySet<number> {
  const next = new Set(fresh);
  for (const id of ids) next.add(id);
  return next;
}

/** Replaces the list; gifts unseen before (once a first list is known) are marked fresh. */
function replace(state: GiftFeedState, gifts: Gift[]): GiftFeedState {
  const known = new Set(state.gifts.map((g) => g.id));
  const added = state.loaded ? gifts.filter((g) => !known.has(g.id)).map((g) => g.id) : [];
  return { gifts, fresh: withFresh(state.fresh, added), stale: false, loaded: true };
}

export function giftFeedReducer(state: GiftFeedState, action: GiftFeedAction): GiftFeedState {
  switch (action.type) {
    case 'snapshot':
    case 'catalog':
    case 'loaded':
      return replace(state, action.gifts);
    case 'new_gifts':
      return { ...state, fresh: withFresh(state.fresh, action.ids) };
    case 'sold_out': {
      const ids = new Set(action.ids);
      return {
        ...state,
        gifts: state.gifts.map((g) =>
          ids.has(g.id) && !g.sold_out
            ? { ...g, sold_out: true, remaining: g.limited ? 0 : g.remaining, sold_out_at: g.sold_out_at ?? Math.floor(Date.now() / 1000) }
            : g,
        ),
      };
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

/** Parses one SSE message into an action; unknown events or broken payloads give null. */
export function sseToAction(event: string, data: string): GiftFeedAction | null {
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null) return null;
  const b = body as { gifts?: unknown };
  switch (event) {
    case 'snapshot':
    case 'catalog':
      return Array.isArray(b.gifts) ? { type: event, gifts: b.gifts as Gift[] } : null;
    case 'new_gifts':
    case 'sold_out':
      return Array.isArray(b.gifts) ? { type: event, ids: b.gifts.filter((x): x is number => typeof x === 'number') } : null;
    case 'lagged':
      return { type: 'lagged' };
    default:
      return null;
  }
}
