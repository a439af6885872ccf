import { describe, expect, it } from 'vitest';
import { ApiError, networkError, toApiError } from './errors';

describe('toApiError', () => {
  it('maps the server error body with field errors', () => {
    const err = toApiError(422, { error: { code: 'invalid', message: 'bad input', fields: { username: 'too short' } } });
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.code).toBe('invalid');
    expect(err.message).toBe('bad input');
    expect(err.fields).toEqual({ username: 'too short' });
    expect(err.retryAfterSecs).toBeUndefined();
  });

  it('keeps the lockout time of 423 and 429 bodies', () => {
    const locked = toApiError(423, { error: { code: 'account_locked', message: 'locked', retry_after_secs: 95 } });
    expect(locked.retryAfterSecs).toBe(95);
    const limited = toApiError(429, { error: { code: 'rate_limited', message: 'slow down' } }, new Headers({ 'Retry-After': '12' }));
    expect(limited.retryAfterSecs).toBe(12);
  });

  it('flags 401 and 409', () => {
    expect(toApiError(401, { error: { code: 'unauthenticated', message: 'x' } }).unauthorized).toBe(true);
    expect(toApiError(409, { error: { code: 'in_use', message: 'x' } }).conflict).toBe(true);
    expect(toApiError(400, { error: { code: 'bad_request', message: 'x' } }).conflict).toBe(false);
  });

  it('survives bodies that are not the error shape', () => {
    const html = toApiError(502, '<html>Bad gateway</html>');
    expect(html.code).toBe('http_502');
    expect(html.message).toContain('Bad gateway');
    const empty = toApiError(500, null);
    expect(empty.code).toBe('http_500');
    expect(empty.message).toBe('HTTP 500');
    const partial = toApiError(418, { error: { fields: { a: ['one', 'two'], b: 3 } } });
    expect(partial.code).toBe('http_418');
    expect(partial.fields).toEqual({ a: 'one; two' });
  });

  it('wraps network failures with status 0', () => {
    const err = networkError(new TypeError('Failed to fetch'));
    expect(err.status).toBe(0);
    expect(err.code).toBe('network');
  });
});
