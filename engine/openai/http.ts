/**
 * One HTTP attempt against one endpoint: a deadline over headers and body, the caller's abort
 * signal, and the transport error classified as `network` or `timeout` (an AttemptError). Any
 * status comes back as a response; deciding what a status means is the retry loop's business.
 */
import { Pool } from 'undici';
import { AttemptError } from './errors.ts';

export interface HttpResponse {
  status: number;
  text: string;
  /** Retry-After of a non-2xx response, in ms from now. */
  retryAfterMs: number | undefined;
}

/** One endpoint's connection pool, addressed by its base URL (a trailing `/` or `/v1` is dropped). */
export class Connection {
  readonly pool: Pool;
  /** Path prefix of the base URL ('' for `http://host:port`). */
  readonly basePath: string;

  constructor(
    readonly url: string,
    connections: number,
  ) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new Error(`endpoint '${url}' is not a URL (expected e.g. http://127.0.0.1:8000)`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`endpoint '${url}': only http and https are supported`);
    this.basePath = u.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.pool = new Pool(u.origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      // The attempt's own deadline bounds headers and body together; undici's are backstops off.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}

/** Readable text of a transport error: its code and message. */
function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const cause = (err as { cause?: unknown }).cause;
    const base = typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
    return cause instanceof Error && cause.message !== err.message ? `${base} (${cause.message})` : base || String(code ?? err.name);
  }
  return String(err);
}

/**
 * Sends one request. Resolves with the status and body text whatever the status; rejects with
 * AttemptError('timeout') when `timeoutMs` passes before the whole body arrived, with
 * AttemptError('network') on a connection error, and with `signal.reason` when the caller aborts.
 */
export async function httpRequest(
  conn: Connection,
  method: 'GET' | 'POST',
  path: string,
  body: string | undefined,
  headers: Record<string, string>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<HttpResponse> {
  if (signal?.aborted) throw signal.reason;
  const ac = new AbortController();
  // 0: running; 1: deadline passed; 2: the caller aborted.
  let why = 0;
  const timer = setTimeout(() => {
    why = 1;
    ac.abort();
  }, timeoutMs);
  const onAbort = (): void => {
    why = 2;
    ac.abort();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await conn.pool.request({
      path: conn.basePath + path,
      method,
      headers,
      body: body ?? null,
      signal: ac.signal,
    });
    const text = await res.body.text();
    const status = res.statusCode;
    let retryAfterMs: number | undefined;
    if (status >= 300) {
      const ra = res.headers['retry-after'];
      if (ra !== undefined) retryAfterMs = parseRetryAfter(Array.isArray(ra) ? (ra[0] ?? '') : ra);
    }
    return { status, text, retryAfterMs };
  } catch (err) {
    if (why === 2) throw (signal as AbortSignal).reason;
    if (why === 1) throw new AttemptError('timeout', null, `no complete response within ${timeoutMs} ms`);
    throw new AttemptError('network', null, describeError(err));
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Retry-After as ms from now: delta-seconds or an HTTP date; undefined when unreadable. */
export function parseRetryAfter(value: string, now = Date.now()): number | undefined {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** The message of an error body: `{error: {message}}`, vLLM's `{message}`, FastAPI's `{detail}`, or the text. */
export function serverMessage(text: string): string {
  let msg: unknown = text;
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const e = j?.error;
    msg =
      (typeof e === 'object' && e !== null ? (e as Record<string, unknown>).message : e) ??
      j?.message ??
      (typeof j?.detail === 'string' ? j.detail : j?.detail !== undefined ? JSON.stringify(j.detail) : undefined) ??
      text;
  } catch {
    // not JSON: the text itself
  }
  const s = typeof msg === 'string' ? msg : JSON.stringify(msg);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}
