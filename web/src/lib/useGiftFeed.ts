import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { gifts as giftsApi } from '../api/api';
import { parseJson, type BigId } from '../api/json';
import { giftFeedReducer, initialGiftFeed, sseToAction, type GiftFeedState } from './giftStream';

export type StreamStatus = 'connecting' | 'live' | 'reconnecting';

export interface PurchaseEvent {
  account: number;
  gift: BigId;
  channel: number;
  outcome: string;
}

const EVENTS = ['snapshot', 'catalog', 'new_gifts', 'sold_out', 'remaining', 'lagged'] as const;

/** Delay before the n-th reconnect attempt: 1 s doubling up to 30 s. */
export function backoff(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
}

/**
 * The live gift catalog: the SSE stream with reconnects, falling back to GET /api/gifts when
 * the stream says events were lost.
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
    let source: EventSource | null = null;
    let timer: number | undefined;
    let attempt = 0;
    let stopped = false;

    const connect = () => {
      if (stopped) return;
      setStatus(attempt === 0 ? 'connecting' : 'reconnecting');
      const es = new EventSource('/api/gifts/stream');
      source = es;
      es.onopen = () => {
        attempt = 0;
        setStatus('live');
      };
      for (const name of EVENTS) {
        es.addEventListener(name, (ev) => {
          const action = sseToAction(name, (ev as MessageEvent<string>).data);
          if (action) dispatch(action);
        });
      }
      es.addEventListener('purchase', (ev) => {
        try {
          handlers.current.onPurchase?.(parseJson((ev as MessageEvent<string>).data) as PurchaseEvent);
        } catch {
          /* ignore a broken event */
        }
      });
      es.addEventListener('run_finished', (ev) => {
        try {
          const { run_id } = JSON.parse((ev as MessageEvent<string>).data) as { run_id: number };
          handlers.current.onRunFinished?.(run_id);
        } catch {
          /* ignore */
        }
      });
      es.onerror = () => {
        // Take reconnecting into our own hands, so a server that restarts or answers with an
        // error (EventSource would then give up for good) is retried with a backoff.
        es.close();
        if (stopped) return;
        setStatus('reconnecting');
        timer = window.setTimeout(connect, backoff(attempt++));
      };
    };
    connect();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      source?.close();
    };
  }, []);

  useEffect(() => {
    if (state.stale) reload().catch(() => undefined);
  }, [state.stale, reload]);

  const markSeen = useCallback((id: BigId) => dispatch({ type: 'seen', id }), []);
  return { state: state as GiftFeedState, status, reload, markSeen };
}
