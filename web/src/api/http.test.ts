import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './errors';
import { request, requestNdjson, setUnauthorizedHandler } from './http';

function jsonResponse(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

afterEach(() => {
  vi.unstubAllGlobals();
  setUnauthorizedHandler(null);
});

describe('request', () => {
  it('sends JSON with a {} body on state-changing calls (CSRF rule)', async () => {
    const fetchMock = vi.fn().mockResolvedValue(new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetchMock);
    await request('POST', '/api/auth/logout');
    const [path, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(path).toBe('/api/auth/logout');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(init.body).toBe('{}');
    expect(init.credentials).toBe('same-origin');
  });

  it('sends no body on GET and parses the answer', async () => {
    const fetchMock = vi.fn().mockResolvedValue(jsonResponse(200, { id: 1, username: 'a', created_at: 5 }));
    vi.stubGlobal('fetch', fetchMock);
    const user = await request<{ username: string }>('GET', '/api/auth/me');
    expect(user.username).toBe('a');
    const init = fetchMock.mock.calls[0]![1] as RequestInit;
    expect(init.body).toBeUndefined();
  });

  it('rejects with a typed ApiError carrying field errors', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(jsonResponse(422, { error: { code: 'invalid', message: 'nope', fields: { password: 'weak' } } })));
    const err = await request('POST', '/api/auth/register', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).fields.password).toBe('weak');
  });

  it('calls the unauthorized handler on 401 outside /api/auth', async () => {
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    vi.stubGlobal('fetch', vi.fn().mockImplementation(() => Promise.resolve(jsonResponse(401, { error: { code: 'unauthenticated', message: 'x' } }))));
    await expect(request('GET', '/api/channels')).rejects.toBeInstanceOf(ApiError);
    expect(handler).toHaveBeenCalledTimes(1);
    await expect(request('POST', '/api/auth/login', {})).rejects.toBeInstanceOf(ApiError);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('maps a failed fetch to a network ApiError', async () => {
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('Failed to fetch')));
    const err = (await request('GET', '/api/gifts').catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(0);
    expect(err.code).toBe('network');
  });
});

describe('requestNdjson', () => {
  it('hands over each line of a streamed body', async () => {
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc.encode('{"stage":"conn'));
        c.enqueue(enc.encode('ect"}\n{"stage":"stars"}\n'));
        c.enqueue(enc.encode('{"stage":"done"}'));
        c.close();
      },
    });
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(new Response(body, { status: 200 })));
    const stages: string[] = [];
    await requestNdjson<{ stage: string }>('POST', '/api/accounts/1/refresh', (e) => stages.push(e.stage));
    expect(stages).toEqual(['connect', 'stars', 'done']);
  });
});
