/**
 * MATH answer equivalence (§1.3). The reference parses both answers with sympy and checks
 * `simplify(a - b) == 0` under a 10 s alarm; errors and timeouts count as wrong. Here:
 *  1. both sides go through Minerva's `normalizeFinalAnswer` and are compared as strings,
 *     case-insensitively (the reference lower-cases both before parsing) — most pairs stop here;
 *  2. otherwise the Compute Engine decides, in a worker thread (math-worker.mjs) that is
 *     terminated when the pair outlives `timeoutMs`.
 * The worker receives the original case: the engine reads `e` as Euler's number and `E` as a
 * variable, so lower-casing LaTeX would change meanings rather than remove noise.
 */
import { normalizeFinalAnswer } from '../answers.ts';
import { checkInWorker } from './math-client.ts';
import { pyLower, pyStrip } from './pystr.ts';

export interface MathOptions {
  /** Time limit per pair, from dispatch to the worker (queueing and start-up excluded). */
  timeoutMs?: number;
}

export const DEFAULT_MATH_TIMEOUT_MS = 10_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

// MCTS scores the same final answers against the same gold over and over. Verdicts are pure
// functions of the pair, so a bounded memo is safe; timeouts are not remembered, since a
// later call with a longer limit may finish.
const CACHE_LIMIT = 20_000;
const cache = new Map<string, boolean>();

export async function mathEquivalent(pred: string, gold: string, opts: MathOptions = {}): Promise<boolean> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_MATH_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
  const a = pyStrip(normalizeFinalAnswer(pred));
  const b = pyStrip(normalizeFinalAnswer(gold));
  if (a === '' || b === '') return false; // sympy cannot parse an empty answer
  if (a === b || pyLower(a) === pyLower(b)) return true;
  const key = `${a}\u0000${b}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const verdict = await checkInWorker(a, b, Math.min(timeoutMs, MAX_TIMER_MS));
  if (verdict === 'timeout') return false;
  const equal = verdict === 'equal';
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, equal);
  return equal;
}
