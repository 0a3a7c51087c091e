/**
 * Optima's reward (docs/algorithm.md §2.1), as pure functions.
 *
 *   R = correct + token_score + ppl_score            (search path: MCTS rollouts)
 *   R = correct + token_score + ppl_score − clean     (SFT path: `data_clean` runs after scoring)
 *
 * Checked against swt-user/DITS: `reward/deploy_reward.py` (`reward_batch_based_on_deploy` = SFT
 * path, `get_score_deploy` = search path), `dataloader/dataloader.py` (`data_clean`),
 * `train/sft_dpo_DI_test.py` (the P80 normalizer) and `train/datagenerate.py` (the `"large"`
 * sentinel). The order of the overrides below is the reference's:
 *
 * - token_score = λ1 · tokenCount / M; then −1 if `large`; then −1 if tokenCount ≤ 40.
 * - ppl_score = −1 if tokenCount > maxTokens or there are no utterances (and then nothing below
 *   runs: no name check, no repeat check). Otherwise scan the utterances in order and stop at the
 *   first that (a) has a multi-name, when names are checked: correct becomes 0; or (b) repeats an
 *   earlier one: ppl_score is 0. If no repeat stopped the scan, ppl_score = λ2 / max CE_k over
 *   the utterances before the stop (0 when there are none).
 * - SFT path only: subtract `data_clean`'s penalty (see `dataCleanPenalty`).
 */
import type { RewardWeights } from '../../scenarios/schema.ts';
import { dataCleanPenalty, hasMultiName } from './names.ts';
import { repeatKey } from './repeat.ts';

export { DATA_CLEAN_PENALTY, dataCleanPenalty, hasMultiName, nameMentions, type NameMentions } from './names.ts';
export { firstRepeat, hasRepeat, pythonStrip, repeatKey } from './repeat.ts';
export { numpyPercentileLinear, tokenNormalizerMax, tokenNormalizerP80 } from './normalizer.ts';
export { crossEntropyOf, utteranceCrossEntropies } from './cross-entropy.ts';

/** A dialogue of at most this many tokens gets token_score −1: too short to have exchanged anything. */
export const SHORT_DIALOGUE_TOKENS = 40;
/** The value the overrides set token_score or ppl_score to. */
export const OVERRIDE_SCORE = -1;

export type RewardPath = 'sft' | 'search';

export interface RewardInput {
  /**
   * The dialogue's utterances, `Name: ...`, in order. On the SFT path the reference keeps the
   * literal `"large"` sentinel as the last element, so it takes part in the repeat check and its
   * CE in the max; pass it here (with its CE) to reproduce that, or leave it out.
   */
  utterances: readonly string[];
  /** The agents, e.g. `['Alice', 'Bob']`; their `Name:` strings drive the name and repeat checks. */
  agentNames: readonly string[];
  /** Task metric in [0, 1] (F1, EM or math equivalence), already computed; 0 for `"error"`. */
  correct: number;
  /** Σ tokens over the utterances, name prefixes (and a `"large"` sentinel) included. */
  tokenCount: number;
  /**
   * The dialogue overflowed (the reference's `"large" in conversation`). The reference drops the
   * oversized reply and puts the sentinel in its place, so tokenCount rarely exceeds maxTokens then.
   */
  large: boolean;
  /**
   * CE_k, mean NLL in nats of utterance k alone under the initial model. One per utterance is
   * the normal case; entries past `crossEntropyScope(input)` are never read, so a caller may
   * stop there (but not before).
   */
  crossEntropies: readonly number[];
  /** M: `tokenNormalizerP80` (search path) or `tokenNormalizerMax` (SFT path). */
  normalizer: number;
  weights: Pick<RewardWeights, 'lambdaToken' | 'lambdaLoss'>;
  /** 2000, or 5000 for MATH: a longer dialogue gets ppl_score −1. */
  maxTokens: number;
  /** `sft` adds `data_clean`'s penalty; `search` is the MCTS scorer. */
  path: RewardPath;
  /**
   * A multi-name utterance forces correct to 0 and ends the readability scan. Default: on for
   * the search path and off for the SFT path, because the reference checks names only in
   * `get_score_deploy`; its SFT scorer leaves that to `data_clean`.
   */
  checkNames?: boolean;
}

export interface RewardTerms {
  /** The task metric after the name check. */
  correct: number;
  tokenScore: number;
  pplScore: number;
  /** Amount subtracted by `data_clean` (≥ 0; always 0 on the search path). */
  cleanPenalty: number;
  /** correct + tokenScore + pplScore − cleanPenalty. */
  total: number;
}

// ---------------------------------------------------------------------------------------------
// Validation: a bad argument is a caller bug, so it throws instead of being scored.

function fail(field: string, rule: string, value: unknown): never {
  throw new RangeError(`${field} ${rule}, got ${String(value)}`);
}

function checkInput(input: RewardInput): void {
  const { utterances, agentNames, correct, tokenCount, normalizer, weights, maxTokens, path } = input;
  for (const [k, u] of utterances.entries()) {
    if (typeof u !== 'string') fail(`utterances[${k}]`, 'must be a string', u);
  }
  if (agentNames.length === 0) fail('agentNames', 'must name at least one agent', '[]');
  for (const [i, n] of agentNames.entries()) {
    // An empty name would turn the `Name:` check into a search for any colon.
    if (typeof n !== 'string' || n.length === 0) fail(`agentNames[${i}]`, 'must be a non-empty string', n);
  }
  if (!(correct >= 0 && correct <= 1)) fail('correct', 'must be in [0, 1]', correct);
  if (!Number.isInteger(tokenCount) || tokenCount < 0) fail('tokenCount', 'must be a non-negative integer', tokenCount);
  if (typeof input.large !== 'boolean') fail('large', 'must be a boolean', input.large);
  // M is a token count (or a percentile of them): 0 is a guarded degenerate case, < 0 is a bug.
  if (!Number.isFinite(normalizer) || normalizer < 0) fail('normalizer', 'must be a finite number ≥ 0', normalizer);
  if (!Number.isFinite(weights.lambdaToken)) fail('weights.lambdaToken', 'must be finite', weights.lambdaToken);
  if (!Number.isFinite(weights.lambdaLoss)) fail('weights.lambdaLoss', 'must be finite', weights.lambdaLoss);
  if (!Number.isInteger(maxTokens) || maxTokens < 1) fail('maxTokens', 'must be a positive integer', maxTokens);
  if (path !== 'sft' && path !== 'search') fail('path', "must be 'sft' or 'search'", path);
  checkCrossEntropies(input.crossEntropies, utterances.length);
}

/** A CE is a mean negative log-probability: NaN or < 0 cannot come from a model (+∞ can). */
function checkCrossEntropies(crossEntropies: readonly number[], utteranceCount: number): void {
  for (const [k, ce] of crossEntropies.entries()) {
    if (!(ce >= 0)) fail(`crossEntropies[${k}]`, 'must be ≥ 0 (a mean NLL)', ce);
  }
  if (crossEntropies.length > utteranceCount) {
    fail('crossEntropies', `must have at most one entry per utterance (${utteranceCount})`, `${crossEntropies.length} entries`);
  }
}

// ---------------------------------------------------------------------------------------------
// The terms.

/** token_score with the reference's overrides, applied in its order. */
function tokenScore(tokenCount: number, normalizer: number, lambdaToken: number, large: boolean): number {
  // M = 0 only when every kept SFT sample is empty; the reference's SFT scorer catches that
  // ZeroDivisionError and uses 0 (and the ≤ 40 rule below then applies anyway).
  let score = normalizer > 0 ? (lambdaToken * tokenCount) / normalizer : 0;
  if (large) score = OVERRIDE_SCORE;
  if (tokenCount <= SHORT_DIALOGUE_TOKENS) score = OVERRIDE_SCORE;
  return score;
}

/** Where the readability scan stopped and why. */
interface Scan {
  /** How many leading utterances were scored (their CE enters the max). */
  scored: number;
  /** The scan stopped on a repeat: ppl_score is 0. */
  repeat: boolean;
  /** The scan stopped on a multi-name utterance: correct is 0. */
  multiName: boolean;
}

/** The reference's single loop: the name check comes before the repeat check on each utterance. */
function scanUtterances(utterances: readonly string[], agentNames: readonly string[], checkNames: boolean): Scan {
  const seen = new Set<string>();
  for (let k = 0; k < utterances.length; k++) {
    const u = utterances[k] as string;
    if (checkNames && hasMultiName(u, agentNames)) return { scored: k, repeat: false, multiName: true };
    const key = repeatKey(u, agentNames);
    if (seen.has(key)) return { scored: k, repeat: true, multiName: false };
    seen.add(key);
  }
  return { scored: utterances.length, repeat: false, multiName: false };
}

/** The length and emptiness overrides pre-empt the whole scan (including the name check). */
function readabilityOverridden(tokenCount: number, maxTokens: number, utterances: readonly string[]): boolean {
  return tokenCount > maxTokens || utterances.length === 0;
}

function resolveCheckNames(input: Pick<RewardInput, 'checkNames' | 'path'>): boolean {
  return input.checkNames ?? input.path === 'search';
}

/**
 * How many leading CE_k the reward reads: 0 when ppl_score is an override or a repeat zeroes it.
 * Lets a caller skip scoring utterances whose CE cannot matter.
 */
export function crossEntropyScope(
  input: Pick<RewardInput, 'utterances' | 'agentNames' | 'tokenCount' | 'maxTokens' | 'path' | 'checkNames'>,
): number {
  if (readabilityOverridden(input.tokenCount, input.maxTokens, input.utterances)) return 0;
  const scan = scanUtterances(input.utterances, input.agentNames, resolveCheckNames(input));
  return scan.repeat ? 0 : scan.scored;
}

/** λ2 / max CE over the scored prefix. */
function inverseMaxCe(crossEntropies: readonly number[], scored: number, lambdaLoss: number): number {
  if (scored === 0) return 0; // the first utterance stopped the scan: the reference scores nothing
  let maxCe = 0;
  for (let k = 0; k < scored; k++) maxCe = Math.max(maxCe, crossEntropies[k] as number);
  // max CE = 0 means every token was certain; the reference would divide by zero and crash.
  // 0 keeps R finite and gives a degenerate scorer no bonus.
  return maxCe > 0 ? lambdaLoss / maxCe : 0;
}

/** Optima's reward with every override, in the reference's order. Pure; throws RangeError on bad input. */
export function optimaReward(input: RewardInput): RewardTerms {
  checkInput(input);
  const { utterances, agentNames, tokenCount, maxTokens, crossEntropies, weights } = input;
  const token = tokenScore(tokenCount, input.normalizer, weights.lambdaToken, input.large);

  let correct = input.correct;
  let ppl = OVERRIDE_SCORE;
  if (!readabilityOverridden(tokenCount, maxTokens, utterances)) {
    const scan = scanUtterances(utterances, agentNames, resolveCheckNames(input));
    if (scan.multiName) correct = 0;
    if (!scan.repeat && crossEntropies.length < scan.scored) {
      fail('crossEntropies', `must cover the first ${scan.scored} utterances the reward reads`, `${crossEntropies.length} entries`);
    }
    ppl = scan.repeat ? 0 : inverseMaxCe(crossEntropies, scan.scored, weights.lambdaLoss);
  }

  const cleanPenalty = input.path === 'sft' ? dataCleanPenalty(utterances, agentNames) : 0;
  const total = correct + token + ppl - cleanPenalty;
  // Only float overflow (a subnormal M or CE) can get here: −∞ + ∞.
  if (Number.isNaN(total)) fail('normalizer/crossEntropies', 'overflowed the reward (−∞ + ∞)', `${token} + ${ppl}`);
  return { correct, tokenScore: token, pplScore: ppl, cleanPenalty, total };
}

// ---------------------------------------------------------------------------------------------
// Per-dataset defaults.

export const REWARD_DATASETS = ['hotpotqa', '2wiki', 'triviaqa', 'cbt', 'gsm8k', 'math', 'arc', 'mmlu'] as const;
export type RewardDataset = (typeof REWARD_DATASETS)[number];

/**
 * Reward and selection weights per dataset:
 * - λ1/λ2 (§2.1), θ_sft (§2.2 step 3), θ_filter and θ_diff (§2.3): the Optima iSFT-DPO recipes,
 *   `train/sft_dpo_recipes/<dataset>.yaml` (`lambda1`, `lambda2`, `initial_episilon`,
 *   `initial_dpo_episilon`, `initial_dpo_min_value`).
 * - dpoBeta: DITS's final DPO (§3.4), e.g. `...-multi-DI/*_mix_warmup_*.yaml` `beta`.
 *
 * Note: `train/sft_dpo_recipes/mmlu_DI.yaml` carries IE values (λ −0.6/1, θ_sft 0.5,
 * θ_filter 0.4, the IE prompt pool), evidently copied from HotpotQA; the doc's MMLU values,
 * which the Optima recipe `mmlu.yaml` confirms, are used here.
 */
export const DEFAULT_REWARD_WEIGHTS: Readonly<Record<RewardDataset, Readonly<RewardWeights>>> = Object.freeze({
  hotpotqa: Object.freeze({ lambdaToken: -0.6, lambdaLoss: 1, sftThreshold: 0.5, pairThreshold: 0.4, pairGap: 0.2, dpoBeta: 0.1 }),
  '2wiki': Object.freeze({ lambdaToken: -0.6, lambdaLoss: 1, sftThreshold: 0.5, pairThreshold: 0.4, pairGap: 0.2, dpoBeta: 0.5 }),
  triviaqa: Object.freeze({ lambdaToken: -0.6, lambdaLoss: 1, sftThreshold: 0.6, pairThreshold: 0.43, pairGap: 0.2, dpoBeta: 0.7 }),
  cbt: Object.freeze({ lambdaToken: -0.6, lambdaLoss: 1, sftThreshold: 0.5, pairThreshold: 0.4, pairGap: 0.2, dpoBeta: 0.7 }),
  gsm8k: Object.freeze({ lambdaToken: -0.4, lambdaLoss: 0.9, sftThreshold: 0.6, pairThreshold: 0.45, pairGap: 0.2, dpoBeta: 0.5 }),
  math: Object.freeze({ lambdaToken: -0.4, lambdaLoss: 0.9, sftThreshold: 0.6, pairThreshold: 0.45, pairGap: 0.2, dpoBeta: 0.1 }),
  arc: Object.freeze({ lambdaToken: -0.5, lambdaLoss: 0.6, sftThreshold: 0.6, pairThreshold: 0.45, pairGap: 0.2, dpoBeta: 0.1 }),
  mmlu: Object.freeze({ lambdaToken: -0.6, lambdaLoss: 0.7, sftThreshold: 0.7, pairThreshold: 0.45, pairGap: 0.2, dpoBeta: 0.1 }),
});
