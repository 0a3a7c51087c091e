/**
 * A request from start to finish: the response cache and single-flight, routing through the
 * endpoint pool, the adapter a request needs loaded on its endpoint, the attempt, the retries,
 * the response check and the usage counters. `direct` is the plain form for probes and adapter
 * administration: one named endpoint, no pool slot, no cache.
 */
import { cacheKey, type ResponseCache } from './cache.ts';
import type { Endpoint, EndpointPool } from './endpoints.ts';
import { AttemptError, InvalidResponseError, RequestFailedError } from './errors.ts';
import { httpRequest, serverMessage, type HttpResponse } from './http.ts';
import { backoffDelay, countsAgainstEndpoint, isRetryable, sleep, type Backoff } from './retry.ts';

/** Checks a parsed 2xx body: null when usable, else what is wrong (e.g. `choices[0].message is missing`). */
export type Validator = (v: unknown) => string | null;

export interface TransportOptions {
  requestTimeoutMs: number;
  maxRetries: number;
  backoff: Backoff;
  headers: Record<string, string>;
  log: (line: string) => void;
}

interface Flight {
  promise: Promise<unknown>;
  controller: AbortController;
  /** Callers with an abort signal still waiting. */
  waiters: number;
  /** A caller without a signal waits: the flight is never aborted. */
  pinned: boolean;
}

const LOAD_PATH = '/v1/load_lora_adapter';
const ALREADY_LOADED = /already been loaded/i;

export class Transport {
  /** Registered adapters: name → path on the server's filesystem. */
  readonly adapterPaths = new Map<string, string>();
  cacheHits = 0;
  /** Requests that joined an identical request already in flight. */
  shared = 0;
  private readonly flights = new Map<string, Flight>();
  /** Set while shutting down: no adapter is loaded any more (so none is left behind). */
  adaptersClosed = false;

  constructor(
    readonly pool: EndpointPool,
    readonly opts: TransportOptions,
    readonly cache: ResponseCache | undefined,
  ) {}

  /**
   * The parsed response of POST `path` with the JSON body `bodyJson` (which must be
   * JSON.stringify of the body: it is the cache key). `adapter`, when registered, is loaded on
   * the chosen endpoint first. Cached and single-flight when the cache is on.
   */
  post(path: string, bodyJson: string, adapter: string | undefined, validate: Validator, signal?: AbortSignal): Promise<unknown> {
    const cache = this.cache;
    if (cache === undefined) return this.send(path, bodyJson, adapter, validate, signal).then(valueOf);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const key = cacheKey(path, bodyJson);
    const hit = cache.get(key);
    if (hit !== undefined) {
      this.cacheHits++;
      return Promise.resolve(hit);
    }
    let f = this.flights.get(key);
    if (f === undefined) {
      const controller = new AbortController();
      const flight: Flight = { promise: undefined as unknown as Promise<unknown>, controller, waiters: 0, pinned: false };
      flight.promise = this.send(path, bodyJson, adapter, validate, controller.signal).then((r) => {
        cache.put(key, r.value, r.raw);
        return r.value;
      });
      const forget = (): void => {
        if (this.flights.get(key) === flight) this.flights.delete(key);
      };
      flight.promise.then(forget, forget);
      this.flights.set(key, flight);
      f = flight;
    } else this.shared++;
    if (signal === undefined) {
      f.pinned = true;
      return f.promise;
    }
    const flight = f;
    flight.waiters++;
    return raceSignal(flight.promise, signal, () => {
      if (--flight.waiters > 0 || flight.pinned) return;
      // The last caller gave up: stop the request, and let a later identical one start afresh.
      if (this.flights.get(key) === flight) this.flights.delete(key);
      flight.controller.abort(signal.reason);
    });
  }

  /** One request through the pool with retries; resolves with the parsed, checked body and its text. */
  async send(path: string, bodyJson: string, adapter: string | undefined, validate: Validator, signal?: AbortSignal): Promise<{ value: unknown; raw: string }> {
    const { maxRetries, backoff, requestTimeoutMs, headers } = this.opts;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw signal.reason;
      const ep = this.pool.tryAcquire() ?? (await this.pool.wait(signal));
      const usage = ep.usage;
      if (attempt > 0) usage.retries++;
      let failure: AttemptError;
      try {
        if (adapter !== undefined && !ep.loadedAdapters.has(adapter)) await this.ensureAdapter(ep, adapter);
        const res = await httpRequest(ep.conn, 'POST', path, bodyJson, headers, requestTimeoutMs, signal);
        if (res.status >= 200 && res.status < 300) {
          this.pool.succeeded(ep);
          let value: unknown;
          let problem: string | null;
          try {
            value = JSON.parse(res.text);
            problem = validate(value);
          } catch {
            problem = `the body is not JSON: ${res.text.slice(0, 200)}`;
          }
          if (problem !== null) {
            usage.failures++;
            throw new InvalidResponseError({ method: 'POST', path, endpoint: ep.url, status: res.status, cause: `invalid response: ${problem}`, attempts: attempt + 1 });
          }
          usage.requests++;
          const u = (value as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } }).usage;
          if (typeof u === 'object' && u !== null) {
            if (typeof u.prompt_tokens === 'number') usage.promptTokens += u.prompt_tokens;
            if (typeof u.completion_tokens === 'number') usage.completionTokens += u.completion_tokens;
          }
          return { value, raw: res.text };
        }
        failure = new AttemptError('status', res.status, serverMessage(res.text), res.retryAfterMs);
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        if (!(err instanceof AttemptError)) {
          if (!(err instanceof InvalidResponseError)) usage.failures++;
          throw err;
        }
        failure = err;
      } finally {
        this.pool.release(ep);
      }
      usage.failures++;
      if (!isRetryable(failure)) {
        this.pool.succeeded(ep); // the server answered: it is alive
        throw new RequestFailedError({ method: 'POST', path, endpoint: ep.url, status: failure.status, cause: failure.message, attempts: attempt + 1 });
      }
      this.pool.failed(ep, failure.status === null ? failure.message : `${failure.status} ${failure.message}`, countsAgainstEndpoint(failure));
      if (attempt >= maxRetries) {
        throw new RequestFailedError({ method: 'POST', path, endpoint: ep.url, status: failure.status, cause: failure.message, attempts: attempt + 1 });
      }
      await sleep(backoffDelay(attempt, backoff, failure.retryAfterMs), signal);
    }
  }

  /**
   * A request to one named endpoint, outside the pool and the cache. Retries connection errors,
   * timeouts, 429 and the statuses in `retryStatuses` (default: every 5xx); any other status is
   * returned. Throws the last AttemptError when the retries run out.
   */
  async direct(
    ep: Endpoint,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    o: { retries?: number; timeoutMs?: number; retryStatuses?: (status: number) => boolean } = {},
  ): Promise<HttpResponse> {
    const retries = o.retries ?? this.opts.maxRetries;
    const retryStatus = o.retryStatuses ?? ((s: number) => s >= 500);
    const json = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      let failure: AttemptError;
      try {
        const res = await httpRequest(ep.conn, method, path, json, this.opts.headers, o.timeoutMs ?? this.opts.requestTimeoutMs);
        if (res.status !== 429 && !retryStatus(res.status)) return res;
        failure = new AttemptError('status', res.status, serverMessage(res.text), res.retryAfterMs);
      } catch (err) {
        if (!(err instanceof AttemptError)) throw err;
        failure = err;
      }
      if (attempt >= retries) throw failure;
      await sleep(backoffDelay(attempt, this.opts.backoff, failure.retryAfterMs));
    }
  }

  /** Loads `name` on `ep` unless loaded; one load per endpoint at a time, shared by every request that needs it. */
  ensureAdapter(ep: Endpoint, name: string): Promise<void> {
    if (this.adaptersClosed) return Promise.reject(new Error(`adapter ${name}: not loaded, the backend is shutting down`));
    const path = this.adapterPaths.get(name);
    if (path === undefined) return Promise.resolve(); // not ours to load (e.g. served from start-up)
    let p = ep.loadingAdapters.get(name);
    if (p === undefined) {
      const generation = ep.generation;
      const loading = this.loadAdapter(ep, name, path).then(
        () => {
          if (ep.generation === generation) ep.loadedAdapters.add(name);
          if (ep.loadingAdapters.get(name) === loading) ep.loadingAdapters.delete(name);
        },
        (err: unknown) => {
          if (ep.loadingAdapters.get(name) === loading) ep.loadingAdapters.delete(name);
          throw err;
        },
      );
      ep.loadingAdapters.set(name, loading);
      p = loading;
    }
    return p;
  }

  private async loadAdapter(ep: Endpoint, name: string, path: string): Promise<void> {
    let res: HttpResponse;
    try {
      res = await httpRequest(ep.conn, 'POST', LOAD_PATH, JSON.stringify({ lora_name: name, lora_path: path }), this.opts.headers, this.opts.requestTimeoutMs);
    } catch (err) {
      if (err instanceof AttemptError) throw new AttemptError(err.kind, null, `loading adapter '${name}': ${err.message}`);
      throw err;
    }
    if (res.status >= 200 && res.status < 300) return;
    const msg = serverMessage(res.text);
    if (res.status === 400 && ALREADY_LOADED.test(msg)) return;
    if (res.status === 429 || res.status >= 500) throw new AttemptError('status', res.status, `loading adapter '${name}': ${msg}`, res.retryAfterMs);
    throw new RequestFailedError({ method: 'POST', path: LOAD_PATH, endpoint: ep.url, status: res.status, cause: `loading adapter '${name}' from ${path}: ${msg}`, attempts: 1 });
  }
}

function valueOf(r: { value: unknown }): unknown {
  return r.value;
}

/** `p`, or the signal's reason if it aborts first (then `onAbort` runs). */
export function raceSignal<T>(p: Promise<T>, signal: AbortSignal, onAbort: () => void): Promise<T> {
  if (signal.aborted) {
    onAbort();
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      onAbort();
      reject(signal.reason);
    };
    signal.addEventListener('abort', abort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(e);
      },
    );
  });
}
