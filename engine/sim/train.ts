/**
 * Training the simulated model: real gradient steps on its move weights.
 *
 * For a target utterance in a state, log p(text) = log Σ_m p(m) q_m(text), whose gradient
 * with respect to weight (f, m) is φ_f · (P(m | text) − p(m)): the posterior over the moves
 * that could have produced the text minus the prior (the log-softmax gradient φ − E[φ],
 * marginalised over the rare texts two moves can both produce). Content and phrasing
 * probabilities have no parameters, so text the model cannot produce has no gradient.
 * Sums run in input order, so a step is a deterministic function of its inputs; inputs are
 * never mutated.
 */
import type { ChatMessage } from '../model.ts';
import { moveEvidence } from './distribution.ts';
import { FEATURE_COUNT } from './features.ts';
import { OTHER } from './likelihood.ts';
import { MOVE_COUNT } from './moves.ts';
import { cloneParams, type SimParams } from './params.ts';
import { logits, policyInput, softmaxMoves } from './policy.ts';
import { dialogueState } from './state.ts';
import { countTokens } from './tokcount.ts';
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

/** A target prepared once: its features, legal moves and per-move evidence (null: not producible). */
interface Target {
  phi: Float64Array;
  mask: Uint8Array;
  q: Float64Array | null;
  tokens: number;
}

function prepare(world: SimWorld, messages: readonly ChatMessage[], speaker: string, text: string): Target {
  const s = dialogueState(world, messages, speaker);
  const input = policyInput(s);
  const q = moveEvidence(s, input.mask, text);
  return { ...input, q: q.some((x) => x > 0) ? q : null, tokens: countTokens(text) };
}

/**
 * log p(target) under `params`; when `grad` is given, adds coef · ∇ log p(target) to it.
 * Unproducible text scores as the OTHER channel (constant in the parameters, no gradient).
 */
function logp(params: SimParams, t: Target, grad?: Float64Array, coef = 0): number {
  if (!t.q) return -OTHER.fixed - OTHER.perToken * t.tokens;
  const probs = softmaxMoves(logits(params, t.phi), t.mask, 1);
  let p = 0;
  for (let m = 0; m < MOVE_COUNT; m++) p += (probs[m] as number) * (t.q[m] as number);
  if (grad && coef !== 0) {
    for (let m = 0; m < MOVE_COUNT; m++) {
      const diff = ((probs[m] as number) * (t.q[m] as number)) / p - (probs[m] as number);
      if (diff === 0) continue;
      for (let f = 0; f < FEATURE_COUNT; f++) {
        const x = t.phi[f] as number;
        if (x !== 0) grad[f * MOVE_COUNT + m] = (grad[f * MOVE_COUNT + m] as number) + coef * x * diff;
      }
    }
  }
  return Math.log(p);
}

/** SFT: `epochs` full-batch gradient-ascent steps on the mean log-likelihood of the examples. */
export function sftStep(world: SimWorld, params: SimParams, examples: readonly SftTarget[], opts: SftOptions): SimParams {
  const targets = examples.map((e) => prepare(world, e.messages, e.speaker, e.text)).filter((t) => t.q !== null);
  let w = new Float64Array(params.weights);
  if (targets.length === 0) return cloneParams(params, w);
  for (let epoch = 0; epoch < (opts.epochs ?? 1); epoch++) {
    const current = cloneParams(params, w);
    const grad = new Float64Array(w.length);
    for (const t of targets) logp(current, t, grad, 1 / targets.length);
    w = w.map((x, i) => x + opts.lr * (grad[i] as number));
  }
  return cloneParams(params, w);
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

/** log π(text) − log π_ref(text) for `speaker`'s utterance after `messages`. */
export function logRatio(world: SimWorld, params: SimParams, ref: SimParams, messages: readonly ChatMessage[], speaker: string, text: string): number {
  const t = prepare(world, messages, speaker, text);
  return logp(params, t) - logp(ref, t);
}

/** One optimizer step on the mean DPO loss of `pairs`, the reference frozen. */
export function dpoStep(world: SimWorld, params: SimParams, ref: SimParams, pairs: readonly DpoPair[], opts: DpoOptions): DpoStepResult {
  const n = params.weights.length;
  if (pairs.length === 0) return { params: cloneParams(params), loss: 0, ...(opts.optimizer === 'adamw' ? { adamState: copyAdam(opts.adamState, n) } : {}) };
  const grad = new Float64Array(n);
  const loss = dpoObjective(params, preparePairs(world, ref, pairs), opts.beta, grad);
  const w = new Float64Array(params.weights);
  if (opts.optimizer === 'sgd') {
    for (let i = 0; i < n; i++) w[i] = (w[i] as number) - opts.lr * (grad[i] as number);
    return { params: cloneParams(params, w), loss };
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
    w[i] = (w[i] as number) - opts.lr * (step + wd * (w[i] as number));
  }
  return { params: cloneParams(params, w), loss, adamState: state };
}

function copyAdam(s: AdamState | undefined, n: number): AdamState {
  if (!s) return { m: new Float64Array(n), v: new Float64Array(n), t: 0 };
  return { m: new Float64Array(s.m), v: new Float64Array(s.v), t: s.t };
}
