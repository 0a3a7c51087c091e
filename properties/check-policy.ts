/**
 * checkPolicy: every search invariant (invariants.ts) against one policy, with fast-check, as
 * data a caller prints: per invariant whether it held, and when it broke the shrunk
 * counterexample, what went wrong, the node sequence, and the seed and path that replay it.
 */
import fc from 'fast-check';
import { INVARIANTS, Violation, type AnyInvariant, type StressEnv, type StressTarget } from './invariants.ts';

export interface CheckOptions {
  /** Cases per invariant. */
  runs: number;
  /** fast-check's seed: the same seed checks the same cases. */
  seed: number;
  /** Only these invariants (ids); default all that apply. */
  only?: readonly string[];
  /** Replay one counterexample: fast-check's path of the shrunk case (needs `only` with one id). */
  path?: string;
  /** A case that takes longer than this fails (milliseconds; only what awaits can be interrupted). */
  timeoutMs?: number;
  /** Called when an invariant starts and after each of its cases. */
  onProgress?: (id: string, done: number, total: number) => void;
  /** Outcomes of an earlier, interrupted check with the same settings: those invariants are not checked again. */
  finished?: readonly InvariantOutcome[];
  /** Called with each invariant's outcome as soon as it is known (to save it). */
  onOutcome?: (o: InvariantOutcome) => void;
}

export interface InvariantOutcome {
  id: string;
  guarantees: string;
  status: 'held' | 'broken' | 'skipped';
  /** Why it was skipped. */
  reason?: string;
  /** Cases run (a broken invariant stops at its first failure, then shrinks). */
  runs: number;
  /** The shrunk case in words. */
  counterexample?: string;
  /** What went wrong in it. */
  message?: string;
  /** The nodes the policy had selected by then. */
  nodes?: readonly number[];
  seed: number;
  /** With `seed`, replays exactly the shrunk case. */
  path?: string;
}

function outcome(inv: AnyInvariant, details: fc.RunDetails<[unknown]>, env: StressEnv, seed: number): InvariantOutcome {
  const base = { id: inv.id, guarantees: inv.guarantees, seed, runs: details.numRuns };
  if (!details.failed) return { ...base, status: 'held' };
  const error = details.errorInstance;
  const shrunk = details.counterexample?.[0];
  return {
    ...base,
    status: 'broken',
    ...(shrunk !== undefined ? { counterexample: (inv.describe as (c: unknown, e: StressEnv) => string)(shrunk, env) } : {}),
    message: error instanceof Error ? error.message : String(error),
    ...(error instanceof Violation ? { nodes: error.nodes } : {}),
    ...(details.counterexamplePath !== null ? { path: details.counterexamplePath } : {}),
  };
}

/** Checks the policy against every invariant that applies (or those in `only`), one after another. */
export async function checkPolicy(target: StressTarget, env: StressEnv, opts: CheckOptions): Promise<InvariantOutcome[]> {
  const out: InvariantOutcome[] = [];
  const record = (o: InvariantOutcome) => {
    out.push(o);
    opts.onOutcome?.(o);
  };
  for (const inv of INVARIANTS) {
    if (opts.only && !opts.only.includes(inv.id)) continue;
    const earlier = opts.finished?.find((o) => o.id === inv.id);
    if (earlier) {
      out.push(earlier);
      continue;
    }
    if (inv.applies && !inv.applies(target)) {
      record({ id: inv.id, guarantees: inv.guarantees, status: 'skipped', reason: 'no --rule given', runs: 0, seed: opts.seed });
      continue;
    }
    let done = 0;
    opts.onProgress?.(inv.id, 0, opts.runs);
    const check = inv.check as (c: unknown, t: StressTarget, e: StressEnv) => Promise<void>;
    const property = fc.asyncProperty(inv.arbitrary(env) as fc.Arbitrary<unknown>, async (c) => {
      try {
        await check(c, target, env);
      } finally {
        opts.onProgress?.(inv.id, Math.min(++done, opts.runs), opts.runs);
      }
    });
    const details = await fc.check(property, {
      numRuns: opts.runs,
      seed: opts.seed,
      ...(opts.path !== undefined ? { path: opts.path } : {}),
      ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
    });
    record(outcome(inv, details as fc.RunDetails<[unknown]>, env, opts.seed));
  }
  return out;
}

export const INVARIANT_IDS = INVARIANTS.map((i) => i.id);
