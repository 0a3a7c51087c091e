/**
 * The endpoint pool: where each request goes. Every endpoint caps its requests in flight; a
 * request takes the healthy endpoint with the fewest in flight (ties: configuration order) or
 * waits, first come first served, for a slot. An endpoint that fails `failuresBeforeEjection`
 * times in a row is taken out and probed until it answers; when every endpoint has been out for
 * `downTimeoutMs`, waiting requests fail with EndpointsDownError. Waiting is event-driven: a
 * slot freed, an endpoint back or the down timer settles a waiter; nothing polls.
 */
import { EndpointsDownError } from './errors.ts';
import { Connection } from './http.ts';

export interface EndpointUsage {
  url: string;
  /** Attempts whose response was used (each request counted once). */
  requests: number;
  /** Attempts that were retries of an earlier failed attempt. */
  retries: number;
  /** Attempts that failed (any cause). */
  failures: number;
  promptTokens: number;
  completionTokens: number;
}

export class Endpoint {
  readonly conn: Connection;
  inFlight = 0;
  /** Taken out of service (ejected, or not ready at start-up); a prober runs while true. */
  out = false;
  /** Consecutive failures that count towards ejection. */
  failures = 0;
  lastError = 'none';
  version: string | null = null;
  /** Bumped when the endpoint comes back in: a restarted server has lost its adapters. */
  generation = 0;
  readonly loadedAdapters = new Set<string>();
  readonly loadingAdapters = new Map<string, Promise<void>>();
  probeTimer: NodeJS.Timeout | undefined = undefined;
  /** Probes since it was taken out: the wait before the next one grows with it. */
  probes = 0;
  readonly usage: EndpointUsage;

  constructor(
    readonly url: string,
    readonly maxInFlight: number,
    /** Order in the configuration: the tie-break of least-loaded routing. */
    readonly index: number,
  ) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new Error(`endpoint ${url}: maxInFlight must be a positive integer (got ${maxInFlight})`);
    // A few connections beyond the cap for probes and adapter administration.
    this.conn = new Connection(url, maxInFlight + 4);
    this.usage = { url, requests: 0, retries: 0, failures: 0, promptTokens: 0, completionTokens: 0 };
  }
}

interface Waiter {
  resolve: (ep: Endpoint) => void;
  reject: (err: unknown) => void;
  /** Settled (served, aborted or failed); a settled waiter left in the queue is skipped. */
  done: boolean;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export interface PoolOptions {
  failuresBeforeEjection: number;
  probeIntervalMs: number;
  downTimeoutMs: number;
  /** Health check of an out endpoint: null when it answers, else what went wrong. */
  probe: (ep: Endpoint) => Promise<string | null>;
  /** Called when an endpoint comes (back) in, before waiting requests are served. */
  onIn?: (ep: Endpoint) => void;
  log: (line: string) => void;
}

export class EndpointPool {
  private readonly queue: Array<Waiter | undefined> = [];
  private head = 0;
  private downTimer: NodeJS.Timeout | undefined = undefined;
  private allOutSince = 0;
  /** Every endpoint has been out for downTimeoutMs: requests fail at once until one is back. */
  private downFailed = false;
  private closed = false;

  constructor(
    readonly endpoints: readonly Endpoint[],
    private readonly opts: PoolOptions,
  ) {}

  /** A healthy endpoint with a free slot, taken; undefined when the request has to wait. */
  tryAcquire(): Endpoint | undefined {
    if (this.head !== this.queue.length) return undefined; // earlier requests wait: first come, first served
    const ep = this.pick();
    if (ep !== undefined) ep.inFlight++;
    return ep;
  }

  /** Waits for a slot (after tryAcquire found none). Rejects with EndpointsDownError or the signal's reason. */
  wait(signal?: AbortSignal): Promise<Endpoint> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.downFailed) return Promise.reject(this.downError());
    if (this.closed) return Promise.reject(new Error('openai backend: closed'));
    return new Promise<Endpoint>((resolve, reject) => {
      const w: Waiter = { resolve, reject, done: false, signal, onAbort: undefined };
      if (signal !== undefined) {
        w.onAbort = () => {
          if (w.done) return;
          w.done = true;
          reject(signal.reason);
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.queue.push(w);
      this.drain();
    });
  }

  release(ep: Endpoint): void {
    ep.inFlight--;
    if (this.head !== this.queue.length) this.drain();
  }

  /** An attempt on `ep` got a response from a live server. */
  succeeded(ep: Endpoint): void {
    ep.failures = 0;
  }

  /** An attempt on `ep` failed; `counts` when the failure counts towards ejection. */
  failed(ep: Endpoint, message: string, counts: boolean): void {
    ep.lastError = message;
    if (!counts || ep.out) return;
    if (++ep.failures >= this.opts.failuresBeforeEjection) {
      this.takeOut(ep, `taken out after ${ep.failures} consecutive failures (last: ${message}); probing it until it answers`);
    }
  }

  /** Takes `ep` out of service with a log line and starts its prober. */
  takeOut(ep: Endpoint, why: string): void {
    if (ep.out || this.closed) return;
    ep.out = true;
    ep.probes = 0;
    this.opts.log(`endpoint ${ep.url}: ${why}`);
    this.scheduleProbe(ep);
    if (this.endpoints.every((e) => e.out) && this.downTimer === undefined) {
      this.allOutSince = Date.now();
      this.downTimer = setTimeout(() => this.onDownTimeout(), this.opts.downTimeoutMs);
    }
  }

  /** Puts `ep` (back) in service: failures forgotten, adapters forgotten, waiting requests served. */
  bringIn(ep: Endpoint, why: string): void {
    if (!ep.out || this.closed) return;
    ep.out = false;
    ep.failures = 0;
    ep.generation++;
    ep.loadedAdapters.clear();
    ep.loadingAdapters.clear();
    if (ep.probeTimer !== undefined) clearTimeout(ep.probeTimer);
    ep.probeTimer = undefined;
    if (this.downTimer !== undefined) clearTimeout(this.downTimer);
    this.downTimer = undefined;
    this.downFailed = false;
    this.opts.log(`endpoint ${ep.url}: ${why}`);
    this.opts.onIn?.(ep);
    this.drain();
  }

  /** Stops probers and the down timer; waiting requests fail. */
  close(): void {
    this.closed = true;
    for (const ep of this.endpoints) {
      if (ep.probeTimer !== undefined) clearTimeout(ep.probeTimer);
      ep.probeTimer = undefined;
    }
    if (this.downTimer !== undefined) clearTimeout(this.downTimer);
    this.downTimer = undefined;
    this.rejectAll(new Error('openai backend: closed while the request waited for an endpoint'));
  }

  downError(): EndpointsDownError {
    return new EndpointsDownError(
      Date.now() - this.allOutSince,
      this.endpoints.map((e) => ({ url: e.url, lastError: e.lastError })),
    );
  }

  /** The healthy endpoint with a free slot and the fewest in flight; ties go to the earlier one. */
  private pick(): Endpoint | undefined {
    let best: Endpoint | undefined;
    for (const ep of this.endpoints) {
      if (ep.out || ep.inFlight >= ep.maxInFlight) continue;
      if (best === undefined || ep.inFlight < best.inFlight) best = ep;
    }
    return best;
  }

  private drain(): void {
    while (this.head !== this.queue.length) {
      const w = this.queue[this.head] as Waiter;
      if (!w.done) {
        const ep = this.pick();
        if (ep === undefined) break;
        ep.inFlight++;
        this.settle(w);
        w.resolve(ep);
      }
      this.queue[this.head++] = undefined;
    }
    this.compact();
  }

  private settle(w: Waiter): void {
    w.done = true;
    if (w.onAbort !== undefined) w.signal?.removeEventListener('abort', w.onAbort);
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  private rejectAll(err: unknown): void {
    while (this.head !== this.queue.length) {
      const w = this.queue[this.head] as Waiter;
      this.queue[this.head++] = undefined;
      if (w.done) continue;
      this.settle(w);
      w.reject(err);
    }
    this.compact();
  }

  private onDownTimeout(): void {
    this.downTimer = undefined;
    if (!this.endpoints.every((e) => e.out)) return;
    this.downFailed = true;
    this.rejectAll(this.downError());
  }

  private scheduleProbe(ep: Endpoint): void {
    if (this.closed) return;
    ep.probeTimer = setTimeout(() => {
      ep.probeTimer = undefined;
      const generation = ep.generation;
      this.opts.probe(ep).then(
        (problem) => {
          if (!ep.out || ep.generation !== generation || this.closed) return;
          if (problem === null) this.bringIn(ep, 'answers again; back in service');
          else {
            ep.lastError = problem;
            this.scheduleProbe(ep);
          }
        },
        (err: unknown) => {
          ep.lastError = String(err);
          if (ep.out) this.scheduleProbe(ep);
        },
      );
    }, probeDelay(ep.probes++, this.opts.probeIntervalMs));
    ep.probeTimer.unref();
  }
}

/**
 * The wait before probe k of an endpoint that was taken out: 100 ms, doubling, up to the
 * interval. A burst of errors from a healthy server costs a fraction of a second; a dead one
 * is asked at the interval.
 */
export function probeDelay(k: number, intervalMs: number): number {
  return Math.min(intervalMs, 100 * 2 ** Math.min(k, 20));
}
