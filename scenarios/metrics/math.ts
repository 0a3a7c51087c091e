/**
 * MATH answer equivalence (§1.3). The reference parses both answers with sympy and checks
 * `simplify(a - b) == 0` under a 10 s alarm; errors and timeouts count as wrong, so its verdict
 * on a hard pair depends on the machine. Here:
 *  1. both sides go through Minerva's `normalizeFinalAnswer` and are compared as strings,
 *     case-insensitively (the reference lower-cases both before parsing) — most pairs stop here;
 *  2. otherwise the Compute Engine decides, in a worker thread (math-worker.mjs), within a
 *     budget fixed by the inputs alone: a side over 10,000 characters, a scalar over 2,000,
 *     a parse deeper than 64, or more than 100,000 "digits of work" (the summed upper bounds on
 *     the digits of every subexpression's exact value, times the terms of an enclosing sum or
 *     product) is not evaluated. Such a scalar equals only its textual twin, and a pair that
 *     needed one and is not equal gets the fixed verdict "not equivalent", cached like any
 *     other. The rule and its bounds are in the worker, beside the code they bound.
 * A verdict is thus a pure function of the pair. `timeoutMs` is only a crash guard for a pair
 * the budget let through by mistake: past it the call fails with an error naming the pair.
 * The worker receives the original case: the engine reads `e` as Euler's number and `E` as a
 * variable, so lower-casing LaTeX would change meanings rather than remove noise.
 */
import { normalizeFinalAnswer } from '../answers.ts';
import { checkInWorker } from './math-client.ts';
import { pyLower, pyStrip } from './pystr.ts';

export interface MathOptions {
  /** Crash guard per pair, from dispatch to the worker (queueing and start-up excluded); never decides a verdict. */
  timeoutMs?: number;
}

/** Far above the slowest pair the budget admits (tens of milliseconds here). */
export const DEFAULT_MATH_TIMEOUT_MS = 60_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

// MCTS scores the same final answers against the same gold over and over. Verdicts are pure
// functions of the pair, so a bounded memo is safe.
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
  const equal = (await checkInWorker(a, b, Math.min(timeoutMs, MAX_TIMER_MS))) === 'equal';
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, equal);
  return equal;
}
