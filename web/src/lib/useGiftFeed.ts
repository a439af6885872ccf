import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { gifts as giftsApi } from '../api/api';
import { parseJson, type BigId } from '../api/json';
import { giftFeedReducer, initialGiftFeed, sseToAction, type GiftFeedState } from './giftStream';
import { subscribeSse, type StreamStatus } from './sse';

export { backoff, type StreamStatus } from './sse';

/** One purchase autobuy made; `channel` and `username` both null: the buying account itself. */
export interface PurchaseEvent {
  account: number;
  gift: BigId;
  /** The receiving channel's Bot API id; null for the buying account itself or a person. */
  channel: number | null;
  /** The receiving person's username (without @); null otherwise. */
  username: string | null;
  outcome: string;
}

export const STREAM_URL = '/api/gifts/stream';
const FEED_EVENTS = ['snapshot', 'catalog', 'new_gifts', 'sold_out', 'remaining', 'lagged'] as const;

/**
 * The live gift catalog: the SSE stream with reconnects, falling back to GET /api/gifts when
 * the stream says events were lost or announces gifts it does not describe.
 */
export function useGiftFeed(onPurchase?: (e: PurchaseEvent) => void, onRunFinished?: (runId: number) => void) {
  const [state, dispatch] = useReducer(giftFeedReducer, initialGiftFeed);
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const handlers = useRef({ onPurchase, onRunFinished });
  handlers.current = { onPurchase, onRunFinished };

  const reload = useCallback(async () => {
    dispatch({ type: 'loaded', gifts: await giftsApi.list() });
  }, []);

  useEffect(() => {
    const feed = Object.fromEntries(
      FEED_EVENTS.map((name) => [
        name,
        (data: string) => {
          const action = sseToAction(name, data);
          if (action) dispatch(action);
        },
      ]),
    );
    return subscribeSse(
      STREAM_URL,
      {
        ...feed,
        purchase: (data) => {
          try {
            handlers.current.onPurchase?.(parseJson(data) as PurchaseEvent);
          } catch {
            /* ignore a broken event */
          }
        },
        run_finished: (data) => {
          try {
            handlers.current.onRunFinished?.((parseJson(data) as { run_id: number }).run_id);
          } catch {
            /* ignore */
          }
        },
      },
      setStatus,
    );
  }, []);

  useEffect(() => {
    if (state.stale) reload().catch(() => undefined);
  }, [state.stale, reload]);

  const markSeen = useCallback((id: BigId) => dispatch({ type: 'seen', id }), []);
  return { state: state as GiftFeedState, status, reload, markSeen };
}

/** Calls `onRunFinished` whenever one of my autobuy runs finishes (a stream of its own). */
export function useRunFinished(onRunFinished: (runId: number) => void): void {
  const handler = useRef(onRunFinished);
  handler.current = onRunFinished;
  useEffect(
    () =>
      subscribeSse(STREAM_URL, {
        run_finished: (data) => {
          try {
            handler.current((parseJson(data) as { run_id: number }).run_id);
          } catch {
            /* ignore */
          }
        },
      }),
    [],
  );
}
