/**
 * Candidate pairs the final DPO cannot learn from. DPO starts at the SFT model with the policy
 * equal to its reference, where a pair's gradient is -β/2 · (∇log π(chosen) - ∇log π(rejected)):
 * exactly zero when both sides move the parameters alike or not at all (in the simulated model,
 * text it cannot produce has no gradient). Such pairs fill batches and steps without teaching
 * anything, so their share tells how much of a pool, and of a selection, is inert.
 * Simulated model only: it needs exact gradients.
 */
import type { SimParams } from '../sim/params.ts';
import { dpoGradient } from '../sim/train.ts';
import type { SimWorld } from '../sim/world.ts';
import type { PreferenceExample } from '../base/trainer.ts';

export interface PairStats {
  candidates: number;
  /** Candidate pairs whose DPO gradient at the SFT model is exactly zero. */
  zeroGradient: number;
  /** zeroGradient / candidates; null without candidates. */
  zeroGradientShare: number | null;
  selected: number;
  /** Selected pairs among the zero-gradient ones. */
  selectedZeroGradient: number;
}

/** Per pair: is its DPO gradient at `sft` (policy = reference) zero in every component? */
export function zeroGradientPairs(world: SimWorld, sft: SimParams, pairs: readonly PreferenceExample[], beta: number): boolean[] {
  return pairs.map((p) => dpoGradient(world, sft, sft, [p], beta).every((g) => g === 0));
}

/** The counts of `zero` (per candidate) over the pool and over the `selected` indices. */
export function pairStats(zero: readonly boolean[], selected: readonly number[]): PairStats {
  const zeroGradient = zero.filter(Boolean).length;
  return {
    candidates: zero.length,
    zeroGradient,
    zeroGradientShare: zero.length === 0 ? null : zeroGradient / zero.length,
    selected: selected.length,
    selectedZeroGradient: selected.filter((i) => zero[i] === true).length,
  };
}
