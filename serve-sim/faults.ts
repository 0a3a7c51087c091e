/**
 * Fault injection for serve-sim: what happens to inference request number k, decided from
 * `Rng.keyed(seed, 'fault', k)` alone, so a seed gives the same fault sequence on every run.
 */
import { Rng } from '../engine/base/rng.ts';
import { InputError } from '../scenarios/errors.ts';

export interface FaultRates {
  /** Share of inference requests answered 429 Too Many Requests. */
  s429?: number;
  /** ... answered 503 Service Unavailable. */
  s503?: number;
  /** ... answered 500 Internal Server Error. */
  s500?: number;
  /** ... whose connection is reset without a response. */
  reset?: number;
  /** ... never answered (until the client hangs up or the server closes). */
  hang?: number;
}

export interface FaultOptions {
  /** Added latency in ms, uniform in [min, max] (fixed when equal). */
  latencyMs?: [number, number];
  /** Inference requests in flight at most; one more is turned away with overCapacityStatus. */
  capacity?: number;
  /** Status of a request over capacity (default 429). */
  overCapacityStatus?: 429 | 503;
  rates?: FaultRates;
  /** Retry-After header (seconds) on 429 and 503 answers. */
  retryAfterSeconds?: number;
  /** Every route answers 503 "Loading model" for this long after start. */
  startupDelayMs?: number;
  /** Seed of the fault decisions (default 0). */
  seed?: number;
}

export const FAULT_KINDS = ['s429', 's503', 's500', 'reset', 'hang'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What to do with one inference request that is within capacity. */
export interface FaultDecision {
  fault: FaultKind | null;
  /** Added latency before the real response (0 for a fault). */
  latencyMs: number;
}

/** The statuses of the status faults. */
export const FAULT_STATUS: Record<'s429' | 's503' | 's500', 429 | 503 | 500> = { s429: 429, s503: 503, s500: 500 };

/** Checks rates: each in [0, 1], summing to at most 1. Throws InputError naming the problem. */
export function validateRates(rates: FaultRates): void {
  let sum = 0;
  for (const k of FAULT_KINDS) {
    const r = rates[k];
    if (r === undefined) continue;
    if (!(r >= 0 && r <= 1)) throw new InputError(`fault rate ${k}: expected a number from 0 to 1, got ${r}`);
    sum += r;
  }
  if (sum > 1 + 1e-12) throw new InputError(`fault rates sum to ${sum}, more than 1`);
}

/** A decider for the options, or null when no fault and no latency is configured (the fast path). */
export function faultDecider(opts: FaultOptions): ((requestNumber: number) => FaultDecision) | null {
  const rates = opts.rates ?? {};
  validateRates(rates);
  const cumulative: { kind: FaultKind; upTo: number }[] = [];
  let sum = 0;
  for (const k of FAULT_KINDS) {
    const r = rates[k] ?? 0;
    if (r <= 0) continue;
    sum += r;
    cumulative.push({ kind: k, upTo: sum });
  }
  const [min, max] = opts.latencyMs ?? [0, 0];
  if (!(min >= 0 && max >= min)) throw new InputError(`latency: expected 0 <= min <= max, got [${min}, ${max}]`);
  if (cumulative.length === 0 && max === 0) return null;
  const seed = opts.seed ?? 0;
  return (requestNumber) => {
    const rng = Rng.keyed(seed, 'fault', requestNumber);
    const u = rng.next();
    const hit = cumulative.find((c) => u < c.upTo);
    if (hit) return { fault: hit.kind, latencyMs: 0 };
    return { fault: null, latencyMs: min === max ? min : min + rng.next() * (max - min) };
  };
}

/** `--latency`: `ms` or `min-max`. */
export function parseLatency(spec: string): [number, number] {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?)\s*)?$/.exec(spec);
  if (!m) throw new InputError(`latency '${spec}': expected milliseconds (50) or a range (20-80)`);
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (max < min) throw new InputError(`latency '${spec}': the range's maximum is below its minimum`);
  return [min, max];
}

const FAIL_NAMES: Record<string, FaultKind> = { '429': 's429', '503': 's503', '500': 's500', reset: 'reset', hang: 'hang' };

/** `--fail`: comma-separated `kind=rate`, kinds 429, 503, 500, reset, hang; rates in [0, 1] summing to at most 1. */
export function parseFailSpec(spec: string): FaultRates {
  const rates: FaultRates = {};
  for (const part of spec.split(',')) {
    if (part.trim() === '') continue;
    const m = /^\s*([\w-]+)\s*=\s*([^\s]+)\s*$/.exec(part);
    if (!m) throw new InputError(`fail spec '${spec}': expected kind=rate pairs such as 429=0.05,reset=0.01, got '${part}'`);
    const kind = FAIL_NAMES[(m[1] as string).toLowerCase()];
    if (kind === undefined) throw new InputError(`fail spec '${spec}': unknown kind '${m[1]}' (known: ${Object.keys(FAIL_NAMES).join(', ')})`);
    if (rates[kind] !== undefined) throw new InputError(`fail spec '${spec}': '${m[1]}' given twice`);
    const rate = Number(m[2]);
    if (!Number.isFinite(rate) || rate < 0 || rate > 1) throw new InputError(`fail spec '${spec}': rate of ${m[1]} must be a number from 0 to 1, got '${m[2]}'`);
    rates[kind] = rate;
  }
  validateRates(rates);
  return rates;
}
