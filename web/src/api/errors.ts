/** The server's error body: `{"error": {"code", "message", "fields"?, "retry_after_secs"?}}`. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    fields?: Record<string, string>;
    retry_after_secs?: number;
  };
}

/** An API failure, typed for the UI: HTTP status, machine code, field errors and lockout time. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: Record<string, string>;
  readonly retryAfterSecs: number | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    fields: Record<string, string> = {},
    retryAfterSecs?: number,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.retryAfterSecs = retryAfterSecs;
  }

  /** True for 401: the session is gone and the user must log in again. */
  get unauthorized(): boolean {
    return this.status === 401;
  }

  /** True for 409: the object is still in use (or already exists). */
  get conflict(): boolean {
    return this.status === 409;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringFields(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, message] of Object.entries(value)) {
    if (typeof message === 'string') out[key] = message;
    else if (Array.isArray(message)) out[key] = message.filter((m) => typeof m === 'string').join('; ');
  }
  return out;
}

function retryAfterHeader(headers: Headers | undefined): number | undefined {
  const raw = headers?.get('retry-after');
  if (!raw) return undefined;
  const secs = Number(raw);
  return Number.isFinite(secs) && secs >= 0 ? secs : undefined;
}

/**
 * Maps a failed response (status + parsed body, possibly not JSON at all) to an ApiError.
 * Bodies that do not follow the error shape still give a usable error with code `http_<status>`.
 */
export function toApiError(status: number, body: unknown, headers?: Headers): ApiError {
  const fromHeader = retryAfterHeader(headers);
  if (isRecord(body) && isRecord(body.error)) {
    const err = body.error;
    const code = typeof err.code === 'string' ? err.code : `http_${status}`;
    const message = typeof err.message === 'string' ? err.message : `HTTP ${status}`;
    const retry = typeof err.retry_after_secs === 'number' ? err.retry_after_secs : fromHeader;
    return new ApiError(status, code, message, stringFields(err.fields), retry);
  }
  const text = typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 200) : `HTTP ${status}`;
  return new ApiError(status, `http_${status}`, text, {}, fromHeader);
}

/** A network failure (server down, connection reset) as an ApiError with status 0. */
export function networkError(cause: unknown): ApiError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new ApiError(0, 'network', message);
}
