/**
 * Data selection (§3.3): H = Ĩ + γ·Q(chosen), keep the top α of the pairs. The modes are the
 * paper's ablations: the full set, a random α, Q only, influence only (γ = 0), and the mix
 * (γ = 1 by default).
 */
import { Rng } from '../base/rng.ts';

export const SELECTION_MODES = ['full', 'random', 'q', 'influence', 'mix'] as const;
export type SelectionMode = (typeof SELECTION_MODES)[number];

export interface SelectionOptions {
  mode: SelectionMode;
  /** Fraction kept (default 0.5): ⌊n·α⌋ pairs. */
  alpha: number;
  /** Weight of Q in the mix (default 1). */
  gamma: number;
  /** Seeds the `random` mode. */
  seed: number;
}

export const SELECTION_DEFAULTS: Omit<SelectionOptions, 'mode' | 'seed'> = { alpha: 0.5, gamma: 1 };

export interface Scored {
  /** Q of the chosen side (Optima's chosen_value). */
  q: number;
  /** Normalised influence Ĩ of the pair's group (NaN when unprobed: ranks last). */
  influence: number;
  /** The pair's probe group (absent: its own index), so that tied groups are kept whole. */
  group?: number;
}

/** How many pairs a selection keeps. */
export function keepCount(n: number, mode: SelectionMode, alpha: number): number {
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}`);
  return mode === 'full' ? n : Math.floor(n * alpha);
}

/** The score a mode ranks by. */
export function selectionScore(mode: Exclude<SelectionMode, 'full' | 'random'>, p: Scored, gamma: number): number {
  const i = Number.isNaN(p.influence) ? -Infinity : p.influence;
  if (mode === 'q') return p.q;
  if (mode === 'influence') return i;
  return i + gamma * p.q;
}

/**
 * Indices of the kept pairs, in their original order. Ties keep the earlier group, then the
 * earlier pair: every pair of a group has the group's influence, so when many groups tie (a
 * validation metric that takes few values) the kept set is made of whole top groups, as the
 * reference's ranking of groups keeps them, not of the earliest pairs of every tied group.
 */
export function selectPairs(pairs: readonly Scored[], opts: SelectionOptions): number[] {
  const k = keepCount(pairs.length, opts.mode, opts.alpha);
  const all = pairs.map((_, i) => i);
  if (opts.mode === 'full') return all;
  let chosen: number[];
  if (opts.mode === 'random') {
    chosen = Rng.keyed(opts.seed, 'selection-random').shuffle(all).slice(0, k);
  } else {
    const mode = opts.mode;
    const score = pairs.map((p) => selectionScore(mode, p, opts.gamma));
    const group = (i: number) => pairs[i]?.group ?? i;
    chosen = all.sort((a, b) => (score[b] as number) - (score[a] as number) || group(a) - group(b) || a - b).slice(0, k);
  }
  return chosen.sort((a, b) => a - b);
}
