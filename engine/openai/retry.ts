/**
 * When to retry and how long to wait: 429, 5xx, connection errors and timeouts are retried
 * after a full-jitter exponential backoff, never sooner than the server's Retry-After.
 * The jitter uses Math.random: it decides only timing, never an output.
 */
import type { AttemptError } from './errors.ts';

export interface Backoff {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 200, maxMs: 10_000 };

/** A Retry-After beyond this is treated as this (a misconfigured proxy must not park a run for a day). */
export const MAX_RETRY_AFTER_MS = 600_000;

/** The wait before retry number `retry` (0 = the first retry). */
export function backoffDelay(retry: number, b: Backoff, retryAfterMs?: number): number {
  const cap = Math.min(b.maxMs, b.baseMs * 2 ** Math.min(retry, 30));
  const jitter = Math.random() * cap;
  return retryAfterMs === undefined ? jitter : Math.max(Math.min(retryAfterMs, MAX_RETRY_AFTER_MS), jitter);
}

export function isRetryable(e: AttemptError): boolean {
  return e.kind !== 'status' || e.status === 429 || (e.status as number) >= 500;
}

/** Whether the failure counts towards taking the endpoint out: connection errors, timeouts, 5xx; not 429 or other 4xx. */
export function countsAgainstEndpoint(e: AttemptError): boolean {
  return e.kind !== 'status' || (e.status as number) >= 500;
}

/** Resolves after `ms`; rejects with the signal's reason if it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(t);
      reject((signal as AbortSignal).reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
