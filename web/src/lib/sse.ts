export type StreamStatus = 'connecting' | 'live' | 'reconnecting';

/** Delay before the n-th reconnect attempt: 1 s doubling up to 30 s. */
export function backoff(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
}

/**
 * Listens to named events of an SSE endpoint and reconnects after any error with a growing
 * delay (EventSource alone gives up for good when the server answers with an error status).
 * Returns the function that stops listening.
 */
export function subscribeSse(
  url: string,
  handlers: Record<string, (data: string) => void>,
  onStatus?: (status: StreamStatus) => void,
): () => void {
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let stopped = false;

  const connect = () => {
    if (stopped) return;
    onStatus?.(attempt === 0 ? 'connecting' : 'reconnecting');
    const es = new EventSource(url);
    source = es;
    es.onopen = () => {
      attempt = 0;
      onStatus?.('live');
    };
    for (const [name, handle] of Object.entries(handlers)) {
      es.addEventListener(name, (ev) => handle((ev as MessageEvent<string>).data));
    }
    es.onerror = () => {
      es.close();
      if (stopped) return;
      onStatus?.('reconnecting');
      timer = setTimeout(connect, backoff(attempt++));
    };
  };
  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    source?.close();
  };
}
