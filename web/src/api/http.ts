import { ApiError, networkError, toApiError } from './errors';
import { parseJson } from './json';
import { readNdjson } from './ndjson';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

type UnauthorizedHandler = () => void;
let onUnauthorized: UnauthorizedHandler | null = null;

/** Registers what to do when any call answers 401 (the session expired or was revoked). */
export function setUnauthorizedHandler(handler: UnauthorizedHandler | null): void {
  onUnauthorized = handler;
}

function init(method: Method, body: unknown, signal?: AbortSignal): RequestInit {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const req: RequestInit = { method, headers, credentials: 'same-origin', signal };
  if (method !== 'GET') {
    // CSRF: every state-changing request is JSON, with `{}` when it has nothing to say.
    headers['Content-Type'] = 'application/json';
    req.body = JSON.stringify(body ?? {});
  }
  return req;
}

async function parseBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === '') return null;
  try {
    return parseJson(text);
  } catch {
    return text;
  }
}

async function send(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, init(method, body, signal));
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw networkError(cause);
  }
  if (!res.ok) {
    const error = toApiError(res.status, await parseBody(res), res.headers);
    if (error.unauthorized && onUnauthorized && !path.startsWith('/api/auth/')) onUnauthorized();
    throw error;
  }
  return res;
}

/** One JSON call. Resolves with the parsed body (undefined for 204), rejects with ApiError. */
export async function request<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await send(method, path, body, signal);
  return (await parseBody(res)) as T;
}

/** A call answering NDJSON: every line is handed to `onItem` as it arrives. */
export async function requestNdjson<T>(
  method: Method,
  path: string,
  onItem: (item: T) => void,
  body?: unknown,
  signal?: AbortSignal,
): Promise<void> {
  const res = await send(method, path, body, signal);
  if (!res.body) {
    const text = await res.text();
    for (const line of text.split('\n')) if (line.trim()) onItem(parseJson(line) as T);
    return;
  }
  await readNdjson<T>(res.body, onItem);
}

export { ApiError };
