/**
 * What `dits compare` runs: the configurations of a preset and how the budget sweep turns an
 * influence share into run settings. Pure functions; the runs themselves are actors/compare.ts.
 *
 * The budget sweep (§4). The budget B is the Q + influence tokens per iteration that the
 * calibration configuration (`mix`: the paper's DITS, γ = 1, at the base sizes) actually spent,
 * averaged over its seeds and iterations. A share s puts (1 − s)·B on Q estimation and s·B on
 * influence estimation, with costs calibrated from the same runs:
 *
 *   Q tokens(S)        ≈ n0 + S·q1            S = search tasks (24 rollouts each, Optima's 8 × 3);
 *                                             n0 = the token normalizer's 100 sampled dialogues
 *   influence(S, V, g) ≈ (⌈p1·S/g⌉ + 1)·V·v1   one probe per group of g pairs plus the warm
 *                                             baseline, V greedy validation dialogues each
 *
 *   v1 = influence tokens / ((groups + 1)·V)  tokens per validation dialogue (measured)
 *   n0 = 100·v1                               (approximation: the normalizer's dialogues are
 *                                              not metered apart from the rollouts)
 *   q1 = (Q tokens − n0) / S_ref               tokens per searched task (measured)
 *   p1 = candidate pairs / S_ref               pairs per searched task (measured)
 *
 * Then S(s) = max(1, round(((1 − s)·B − n0) / q1)); the group size g stays the base one; the
 * influence side gets what the Q side leaves of B, so rounding S moves the share, not the total:
 *
 *   V(s) = max(1, round((B − n0 − S(s)·q1) / ((⌈p1·S(s)/g⌉ + 1)·v1)))
 *
 * At s = 0 nothing can be learnt from influence: selection is by Q (top α), and the probes
 * stage, which the pipeline always runs, is made as cheap as it can be (V = 1, one group of all
 * pairs: 2 dialogues). For s > 0 the selection is the mix (γ = 1). The runs report the tokens
 * actually spent per meter, so the realised share can be checked against the target.
 */
import type { SelectionMode } from '../influence/selection.ts';
import type { RunSizes } from '../base/run-sizes.ts';
import { NORMALIZER_DIALOGUES } from '../search/estimate-normalizer.ts';

export const PRESETS = ['paper-ablation'] as const;
export type Preset = (typeof PRESETS)[number];

export const DEFAULT_SHARES: readonly number[] = [0, 0.2, 0.4, 0.6, 0.8];

/** Sizes shared by every configuration; the sweep changes searchTasks, validationTasks and groupSize. */
export interface BaseSizes extends RunSizes {
  /** Fraction of pairs kept by every selection but `full`. */
  alpha: number;
  /** Final DPOs per run, each in its own batch order. */
  dpoSeeds: number;
}

/** The settings a configuration gives a run. */
export interface RunSettings {
  searchTasks: number;
  validationTasks: number;
  groupSize: number;
  selection: { mode: SelectionMode; alpha: number; gamma: number };
}

export interface Configuration {
  /** Short name: run folders are `<name>-seed<k>`. */
  name: string;
  kind: 'selection' | 'budget';
  /** What it is, in the paper's words. */
  label: string;
  /** The budget sweep's target influence share. */
  share?: number;
  settings: RunSettings;
  /** Anything a reader should know about how the settings were reached (clamps). */
  notes: string[];
}

/**
 * The configuration whose spend sets the sweep's budget (not the reference arm of the paired
 * differences, which the user picks).
 */
export const CALIBRATION_SOURCE = 'mix';

/** The single-iteration selection ablation (§5): the selection modes at the base sizes. */
export function selectionConfigurations(base: BaseSizes): Configuration[] {
  const pct = `${+(base.alpha * 100).toFixed(1)}%`;
  const at = (mode: SelectionMode, gamma: number) => ({
    searchTasks: base.searchTasks,
    validationTasks: base.validationTasks,
    groupSize: base.groupSize,
    selection: { mode, alpha: base.alpha, gamma },
  });
  return [
    { name: 'full', kind: 'selection', label: 'full set (Optima-DPO)', settings: at('full', 1), notes: [] },
    { name: 'random', kind: 'selection', label: `random ${pct}`, settings: at('random', 1), notes: [] },
    { name: 'q', kind: 'selection', label: `Q-value ${pct}`, settings: at('q', 1), notes: [] },
    { name: 'influence', kind: 'selection', label: `influence only (γ = 0), ${pct}`, settings: at('influence', 0), notes: [] },
    { name: CALIBRATION_SOURCE, kind: 'selection', label: `mix (γ = 1), ${pct}`, settings: at('mix', 1), notes: [] },
  ];
}

/** What one (seed, iteration) of the calibration configuration spent and produced. */
export interface CalibrationObservation {
  qTokens: number;
  influenceTokens: number;
  pairs: number;
  /** Probed groups (the warm baseline not counted). */
  groups: number;
  searchTasks: number;
  validationTasks: number;
}

export interface Calibration {
  /** B: Q + influence tokens per iteration. */
  budget: number;
  /** n0: estimated tokens of the normalizer's dialogues per iteration. */
  normalizerTokens: number;
  /** q1: Q tokens per searched task, the normalizer excluded. */
  tokensPerSearchTask: number;
  /** p1: candidate pairs per searched task. */
  pairsPerSearchTask: number;
  /** v1: tokens per validation dialogue. */
  tokensPerValidationDialogue: number;
  /** Observations (seeds × iterations) it was computed from. */
  observations: number;
}

const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);

export function calibrate(obs: readonly CalibrationObservation[]): Calibration {
  if (obs.length === 0) throw new RangeError('calibration needs at least one run of the calibration configuration');
  const n = obs.length;
  const dialogues = sum(obs.map((o) => (o.groups + 1) * o.validationTasks));
  const v1 = sum(obs.map((o) => o.influenceTokens)) / dialogues;
  const n0 = NORMALIZER_DIALOGUES * v1;
  const searched = sum(obs.map((o) => o.searchTasks));
  return {
    budget: sum(obs.map((o) => o.qTokens + o.influenceTokens)) / n,
    normalizerTokens: n0,
    tokensPerSearchTask: Math.max(1, (sum(obs.map((o) => o.qTokens)) - n * n0) / searched),
    pairsPerSearchTask: sum(obs.map((o) => o.pairs)) / searched,
    tokensPerValidationDialogue: v1,
    observations: n,
  };
}

/** `share-0`, `share-0.2`, ... */
export const shareName = (share: number) => `share-${+share.toFixed(3)}`;

/** Group size that puts every pair in one group (the cheapest probes stage). */
export const ONE_GROUP = 1_000_000;

/** The sweep's configuration for one influence share. */
export function budgetConfiguration(share: number, cal: Calibration, base: BaseSizes, gamma = 1): Configuration {
  if (!(share >= 0 && share < 1)) throw new RangeError(`an influence share must be in [0, 1), got ${share}`);
  const notes: string[] = [];
  const qTarget = (1 - share) * cal.budget;
  const exact = (qTarget - cal.normalizerTokens) / cal.tokensPerSearchTask;
  let searchTasks = Math.round(exact);
  if (exact < 1) {
    notes.push(`the Q side (${Math.round(qTarget)} tokens) does not cover the normalizer and one search task: clamped to 1 search task, so the realised share is below the target`);
    searchTasks = 1;
  }
  const name = shareName(share);
  if (share === 0) {
    return {
      name,
      kind: 'budget',
      label: 'influence share 0: all on Q, select by Q',
      share,
      settings: { searchTasks, validationTasks: 1, groupSize: ONE_GROUP, selection: { mode: 'q', alpha: base.alpha, gamma: 1 } },
      notes,
    };
  }
  // The influence side gets what the Q side leaves of B, so rounding S keeps the total, not the share.
  const influenceTarget = cal.budget - (cal.normalizerTokens + searchTasks * cal.tokensPerSearchTask);
  const groups = Math.ceil((cal.pairsPerSearchTask * searchTasks) / base.groupSize);
  const validationTasks = Math.max(1, Math.round(influenceTarget / ((groups + 1) * cal.tokensPerValidationDialogue)));
  return {
    name,
    kind: 'budget',
    label: `influence share ${+share.toFixed(3)}: mix (γ = ${gamma})`,
    share,
    settings: { searchTasks, validationTasks, groupSize: base.groupSize, selection: { mode: 'mix', alpha: base.alpha, gamma } },
    notes,
  };
}
