/**
 * Training the simulated model: real gradient steps on its move weights, answer skills and wording.
 *
 * For a target utterance in a state, log p(text) = log Σ_m p(m) q_m(text). Its gradient
 * - with respect to weight (f, m) is φ_f · (P(m | text) − p(m)): the posterior over the moves
 *   that could have produced the text minus the prior (the log-softmax gradient φ − E[φ],
 *   marginalised over the rare texts two moves can both produce);
 * - with respect to the skill of move m is p(m) · ∂q_m/∂s_m / p(text), where q_m is affine in
 *   the move's gold probability (distribution.ts) and ∂p_gold/∂s_m = p_gold(1 − p_gold)·
 *   (1 − tanh²(s_m / SKILL_CAP)): a right answer raises its move's skill, a wrong one lowers it,
 *   and a pair of answers that differ only in being right has a gradient.
 * - with respect to a phrasing logit z_(m,j) is p(m) · π_m(j) · (e_j − q_m) / p(text), e_j the
 *   text's evidence in phrasing j: a pair that differs only in wording moves the wording.
 * Text the model cannot produce has no gradient. The parameters are updated as one vector, the
 * weights, the skills, then the wording (AdamState has that layout). Sums run in input order, so a step is a deterministic function of its inputs;
 * inputs are never mutated.
 */
import type { ChatMessage } from '../base/model-backend.ts';
import { moveEvidenceTerms } from './distribution.ts';
import { FEATURE_COUNT } from './features.ts';
import { OTHER } from './likelihood.ts';
import { MOVE_COUNT, SKILL_OF } from './moves.ts';
import { baseAccuracy, skilledAccuracy, skilledAccuracySlope } from './outcomes.ts';
import { cloneParams, NAMES_PARTNER, type SimParams } from './params.ts';
import { logits, policyInput, softmaxMoves } from './policy.ts';
import { dialogueState } from './state.ts';
import { countTokens } from './tokcount.ts';
import { PHRASINGS, type Family } from './templates.ts';
import { partnerNaming, phrasingProbabilities } from './wording.ts';
import type { SimWorld } from './world.ts';

/** A target utterance `text` of `speaker` after `messages` (its system prompt, then the dialogue). */
export interface SftTarget {
  messages: ChatMessage[];
  speaker: string;
  text: string;
}

export interface DpoPair {
  messages: ChatMessage[];
  speaker: string;
  chosen: string;
  rejected: string;
}

/** AdamW moments, one per parameter: the weights, the skills, then the wording. */
export interface AdamState {
  m: Float64Array;
  v: Float64Array;
  /** Steps taken so far. */
  t: number;
}

export interface SftOptions {
  lr: number;
  /** Full-batch gradient steps over the examples (default 1). */
  epochs?: number;
}

export interface DpoOptions {
  beta: number;
  lr: number;
  optimizer: 'sgd' | 'adamw';
  /** AdamW moments to continue from; a fresh optimizer when absent (as each DITS probe is). */
  adamState?: AdamState;
  /** AdamW decoupled weight decay (default 0, as in the DITS probes). */
  weightDecay?: number;
  betas?: readonly [number, number];
  eps?: number;
}

export interface DpoStepResult {
  params: SimParams;
  /** Mean DPO loss before the step. */
  loss: number;
  /** Moments after the step (adamw only). */
  adamState?: AdamState;
}

/**
 * A target prepared once, independent of the parameters: its features, legal moves, per (move,
 * phrasing) evidence at skill 0 (null: not producible), the evidence's slope in each move's gold
 * probability, and that move's base accuracy (NaN where the slope is 0).
 */
interface Target {
  family: Family;
  phi: Float64Array;
  mask: Uint8Array;
  qk: Float64Array | null;
  dqk: Float64Array;
  base: Float64Array;
  /** Moves with any evidence: the only ones the likelihood and its gradient visit. */
  moves: number[];
  tokens: number;
}

function prepare(world: SimWorld, messages: readonly ChatMessage[], speaker: string, text: string): Target {
  const s = dialogueState(world, messages, speaker);
  const input = policyInput(s);
  const { qk, dqk } = moveEvidenceTerms(s, input.mask, text);
  const base = new Float64Array(MOVE_COUNT).fill(Number.NaN);
  const moves: number[] = [];
  for (let m = 0; m < MOVE_COUNT; m++) {
    let any = false;
    let slope = false;
    for (let k = 0; k < PHRASINGS; k++) {
      if ((qk[m * PHRASINGS + k] as number) > 0 || (dqk[m * PHRASINGS + k] as number) !== 0) any = true;
      if ((dqk[m * PHRASINGS + k] as number) !== 0) slope = true;
    }
    if (!any) continue;
    moves.push(m);
    if (slope) base[m] = (baseAccuracy(s, m) as { base: number }).base;
  }
  return { family: world.family, ...input, qk: moves.length > 0 ? qk : null, dqk, base, moves, tokens: countTokens(text) };
}

/** The flat parameter vector: the weights, the skills, then the wording. */
function flatten(params: SimParams): Float64Array {
  const theta = new Float64Array(params.weights.length + params.skills.length + params.wording.length);
  theta.set(params.weights);
  theta.set(params.skills, params.weights.length);
  theta.set(params.wording, params.weights.length + params.skills.length);
  return theta;
}

function unflatten(params: SimParams, theta: Float64Array): SimParams {
  const n = params.weights.length;
  const k = params.skills.length;
  return cloneParams(params, theta.slice(0, n), theta.slice(n, n + k), theta.slice(n + k));
}

const parameterCount = (params: SimParams) => params.weights.length + params.skills.length + params.wording.length;

/**
 * log p(target) under `params`; when `grad` (the flat layout) is given, adds coef · ∇ log p(target)
 * to it. Unproducible text scores as the OTHER channel (constant in the parameters, no gradient).
 */
function logp(params: SimParams, t: Target, grad?: Float64Array, coef = 0): number {
  if (!t.qk) return -OTHER.fixed - OTHER.perToken * t.tokens;
  const probs = softmaxMoves(logits(params, t.phi), t.mask, 1);
  // Per visited move: the phrasing probabilities, the evidence per phrasing at the move's skill, and q_m.
  const pis: Float64Array[] = [];
  const evidence: Float64Array[] = [];
  const qm = new Float64Array(MOVE_COUNT);
  let p = 0;
  for (const m of t.moves) {
    const pi = phrasingProbabilities(params, t.family, m);
    const base = t.base[m] as number;
    const shift = Number.isNaN(base) ? 0 : skilledAccuracy(base, params.skills[SKILL_OF[m] as number] as number) - base;
    const e = new Float64Array(PHRASINGS);
    let q = 0;
    for (let k = 0; k < PHRASINGS; k++) {
      e[k] = (t.qk[m * PHRASINGS + k] as number) + shift * (t.dqk[m * PHRASINGS + k] as number);
      q += (pi[k] as number) * (e[k] as number);
    }
    pis[m] = pi;
    evidence[m] = e;
    qm[m] = q;
    p += (probs[m] as number) * q;
  }
  if (grad && coef !== 0) addGradient(params, t, grad, coef, { probs, pis, evidence, qm, p });
  return Math.log(p);
}

interface Forward {
  probs: Float64Array;
  pis: Float64Array[];
  evidence: Float64Array[];
  qm: Float64Array;
  p: number;
}

/** coef · ∇ log p(target) from the forward pass's pieces, into `grad` (flat layout). */
function addGradient(params: SimParams, t: Target, grad: Float64Array, coef: number, fw: Forward): void {
  const { probs, pis, evidence, qm, p } = fw;
  // Move weights: φ_f · (P(m | text) − p(m)), over every legal move (the prior's share too).
  for (let m = 0; m < MOVE_COUNT; m++) {
    const diff = ((probs[m] as number) * (qm[m] as number)) / p - (probs[m] as number);
    if (diff === 0) continue;
    for (let f = 0; f < FEATURE_COUNT; f++) {
      const x = t.phi[f] as number;
      if (x !== 0) grad[f * MOVE_COUNT + m] = (grad[f * MOVE_COUNT + m] as number) + coef * x * diff;
    }
  }
  const skillsAt = params.weights.length;
  const wordingAt = skillsAt + params.skills.length;
  for (const m of t.moves) {
    const pm = probs[m] as number;
    if (!(pm > 0)) continue;
    const pi = pis[m] as Float64Array;
    const e = evidence[m] as Float64Array;
    const base = t.base[m] as number;
    if (!Number.isNaN(base)) {
      const k = SKILL_OF[m] as number;
      let slope = 0;
      for (let ph = 0; ph < PHRASINGS; ph++) slope += (pi[ph] as number) * (t.dqk[m * PHRASINGS + ph] as number);
      const dg = skilledAccuracySlope(base, params.skills[k] as number);
      grad[skillsAt + k] = (grad[skillsAt + k] as number) + (coef * pm * slope * dg) / p;
    }
    // Wording: ∂ log p / ∂z_j = P(m | text) · (π_j e_j / q_m − π_j); the partner-naming weight
    // adds up the same terms over the phrasings that name the partner. Written this way a text
    // of one move and one phrasing gives exactly δ_jk − π_j, so the two sides of a pair in the
    // same phrasing cancel exactly (AdamW would turn a rounding residue into a full step).
    const q = qm[m] as number;
    if (!(q > 0)) continue;
    const posterior = (pm * q) / p;
    const naming = partnerNaming(t.family, m);
    for (let ph = 0; ph < PHRASINGS; ph++) {
      const d = coef * posterior * (((pi[ph] as number) * (e[ph] as number)) / q - (pi[ph] as number));
      if (d === 0) continue;
      grad[wordingAt + m * PHRASINGS + ph] = (grad[wordingAt + m * PHRASINGS + ph] as number) + d;
      if (naming[ph]) grad[wordingAt + NAMES_PARTNER] = (grad[wordingAt + NAMES_PARTNER] as number) + d;
    }
  }
}

/** SFT: `epochs` full-batch gradient-ascent steps on the mean log-likelihood of the examples (weights and skills). */
export function sftStep(world: SimWorld, params: SimParams, examples: readonly SftTarget[], opts: SftOptions): SimParams {
  const targets = examples.map((e) => prepare(world, e.messages, e.speaker, e.text)).filter((t) => t.qk !== null);
  let theta = flatten(params);
  if (targets.length === 0) return unflatten(params, theta);
  for (let epoch = 0; epoch < (opts.epochs ?? 1); epoch++) {
    const current = unflatten(params, theta);
    const grad = new Float64Array(theta.length);
    for (const t of targets) logp(current, t, grad, 1 / targets.length);
    theta = theta.map((x, i) => x + opts.lr * (grad[i] as number));
  }
  return unflatten(params, theta);
}

const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

interface PreparedPair {
  chosen: Target;
  rejected: Target;
  /** log π_ref of each, fixed for the step. */
  refChosen: number;
  refRejected: number;
}

function preparePairs(world: SimWorld, ref: SimParams, pairs: readonly DpoPair[]): PreparedPair[] {
  return pairs.map((p) => {
    const chosen = prepare(world, p.messages, p.speaker, p.chosen);
    const rejected = prepare(world, p.messages, p.speaker, p.rejected);
    return { chosen, rejected, refChosen: logp(ref, chosen), refRejected: logp(ref, rejected) };
  });
}

/** Mean loss of the prepared pairs; with `grad`, also adds ∇ of the mean loss to it. */
function dpoObjective(params: SimParams, prepared: readonly PreparedPair[], beta: number, grad?: Float64Array): number {
  let loss = 0;
  const n = prepared.length;
  for (const p of prepared) {
    const margin = beta * (logp(params, p.chosen) - p.refChosen - (logp(params, p.rejected) - p.refRejected));
    loss += softplus(-margin) / n;
    if (grad) {
      // d/dθ softplus(−margin) = −σ(−margin) · β · (∇ log π(c) − ∇ log π(r))
      const coef = (-sigmoid(-margin) * beta) / n;
      logp(params, p.chosen, grad, coef);
      logp(params, p.rejected, grad, -coef);
    }
  }
  return loss;
}

/** Mean sigmoid DPO loss −log σ(β[(log π(c) − log π_ref(c)) − (log π(r) − log π_ref(r))]). */
export function dpoLoss(world: SimWorld, params: SimParams, ref: SimParams, pairs: readonly DpoPair[], beta: number): number {
  if (pairs.length === 0) return 0;
  return dpoObjective(params, preparePairs(world, ref, pairs), beta);
}

/**
 * ∇θ of the mean DPO loss of `pairs` at `params` (the gradient `dpoStep` descends), the reference
 * frozen; the flat layout: weights, skills, wording. All zeros for no pairs.
 */
export function dpoGradient(world: SimWorld, params: SimParams, ref: SimParams, pairs: readonly DpoPair[], beta: number): Float64Array {
  const grad = new Float64Array(parameterCount(params));
  if (pairs.length > 0) dpoObjective(params, preparePairs(world, ref, pairs), beta, grad);
  return grad;
}

/**
 * ∇θ Σ_i w_i · log p(target_i) at `params`, the flat layout (weights, skills, wording). The default
 * weights are 1/n, the gradient of the mean log-likelihood (sftStep ascends the mean over the
 * producible targets only; text the model cannot produce has no gradient either way).
 */
export function logLikelihoodGradient(world: SimWorld, params: SimParams, targets: readonly SftTarget[], weights?: readonly number[]): Float64Array {
  if (weights && weights.length !== targets.length) throw new RangeError(`${targets.length} targets but ${weights.length} weights`);
  const grad = new Float64Array(parameterCount(params));
  targets.forEach((e, i) => {
    const w = weights ? (weights[i] as number) : 1 / targets.length;
    if (w !== 0) logp(params, prepare(world, e.messages, e.speaker, e.text), grad, w);
  });
  return grad;
}

/** log π(text) − log π_ref(text) for `speaker`'s utterance after `messages`. */
export function logRatio(world: SimWorld, params: SimParams, ref: SimParams, messages: readonly ChatMessage[], speaker: string, text: string): number {
  const t = prepare(world, messages, speaker, text);
  return logp(params, t) - logp(ref, t);
}

/** One optimizer step on the mean DPO loss of `pairs` (weights and skills), the reference frozen. */
export function dpoStep(world: SimWorld, params: SimParams, ref: SimParams, pairs: readonly DpoPair[], opts: DpoOptions): DpoStepResult {
  const theta = flatten(params);
  const n = theta.length;
  if (pairs.length === 0) return { params: cloneParams(params), loss: 0, ...(opts.optimizer === 'adamw' ? { adamState: copyAdam(opts.adamState, n) } : {}) };
  const grad = new Float64Array(n);
  const loss = dpoObjective(params, preparePairs(world, ref, pairs), opts.beta, grad);
  if (opts.optimizer === 'sgd') {
    for (let i = 0; i < n; i++) theta[i] = (theta[i] as number) - opts.lr * (grad[i] as number);
    return { params: unflatten(params, theta), loss };
  }
  const [b1, b2] = opts.betas ?? [0.9, 0.999];
  const eps = opts.eps ?? 1e-8;
  const wd = opts.weightDecay ?? 0;
  const state = copyAdam(opts.adamState, n);
  state.t += 1;
  const c1 = 1 - b1 ** state.t;
  const c2 = 1 - b2 ** state.t;
  for (let i = 0; i < n; i++) {
    const g = grad[i] as number;
    state.m[i] = b1 * (state.m[i] as number) + (1 - b1) * g;
    state.v[i] = b2 * (state.v[i] as number) + (1 - b2) * g * g;
    const step = (state.m[i] as number) / c1 / (Math.sqrt((state.v[i] as number) / c2) + eps);
    theta[i] = (theta[i] as number) - opts.lr * (step + wd * (theta[i] as number));
  }
  return { params: unflatten(params, theta), loss, adamState: state };
}

function copyAdam(s: AdamState | undefined, n: number): AdamState {
  if (!s) return { m: new Float64Array(n), v: new Float64Array(n), t: 0 };
  if (s.m.length !== n || s.v.length !== n) {
    throw new Error(`dpoStep: adamState has ${s.m.length} moments, the parameters ${n} (weights, skills, wording): it belongs to another layout`);
  }
  return { m: new Float64Array(s.m), v: new Float64Array(s.v), t: s.t };
}
