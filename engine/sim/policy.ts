/**
 * The log-linear policy over moves: which moves are legal in a state, their logits
 * (features · weights), and the softmax at a temperature (greedy at 0).
 */
import { FEATURE_COUNT, featureVector } from './features.ts';
import { CRITIC_MOVES, IE_MOVES, M, MOVE_COUNT, SOLVER_MOVES } from './moves.ts';
import type { SimParams } from './params.ts';
import type { DialogueState } from './state.ts';

/** 1 for each move the agent can make in this state. Never empty. */
function legalMoves(s: DialogueState): Uint8Array {
  const mask = new Uint8Array(MOVE_COUNT);
  const allow = (m: number) => {
    mask[m] = 1;
  };
  if (s.kind === 'peer') {
    for (const m of IE_MOVES) allow(m);
    if (s.unshared.length === 0) {
      mask[M.SHARE_TERSE] = 0;
      mask[M.SHARE_VERBOSE] = 0;
    }
    // Agreeing restates someone else's answer, so there must be one.
    if (!s.lastAnswer || s.lastAnswer.speaker === s.speaker) mask[M.AGREE] = 0;
  } else if (s.kind === 'solver') {
    const challenged = s.last !== null && (s.last.moves & ((1 << M.CHALLENGE) | (1 << M.HINT))) !== 0;
    for (const m of SOLVER_MOVES) allow(m);
    // Revising answers a challenge; defending needs an own answer; after a challenge the
    // solver either revises or defends rather than starting over.
    if (!challenged || s.ownAnswers === 0) mask[M.REVISE] = 0;
    if (s.ownAnswers === 0) mask[M.DEFEND] = 0;
    if (challenged && s.ownAnswers > 0) {
      mask[M.SOLVE_TERSE] = 0;
      mask[M.SOLVE_STEPWISE] = 0;
    }
  } else if (s.lastAnswer) {
    for (const m of CRITIC_MOVES) if (m !== M.ASK) allow(m);
  } else {
    // Nothing to check yet: the critic can only ask for a solution.
    allow(M.ASK);
  }
  return mask;
}

export function logits(params: SimParams, phi: Float64Array): Float64Array {
  const w = params.weights;
  const out = new Float64Array(MOVE_COUNT);
  for (let f = 0; f < FEATURE_COUNT; f++) {
    const x = phi[f] as number;
    if (x === 0) continue;
    const row = f * MOVE_COUNT;
    for (let m = 0; m < MOVE_COUNT; m++) out[m] = (out[m] as number) + x * (w[row + m] as number);
  }
  return out;
}

/**
 * Move probabilities: softmax of logits / temperature over the legal moves (0 elsewhere).
 * Temperature 0 puts all mass on the highest logit, the lowest move index winning ties.
 */
export function softmaxMoves(z: Float64Array, mask: Uint8Array, temperature: number): Float64Array {
  const p = new Float64Array(MOVE_COUNT);
  let best = -1;
  for (let m = 0; m < MOVE_COUNT; m++) if (mask[m] && (best < 0 || (z[m] as number) > (z[best] as number))) best = m;
  if (!(temperature > 0)) {
    p[best] = 1;
    return p;
  }
  const top = z[best] as number;
  let total = 0;
  for (let m = 0; m < MOVE_COUNT; m++) {
    if (!mask[m]) continue;
    const e = Math.exp(((z[m] as number) - top) / temperature);
    p[m] = e;
    total += e;
  }
  for (let m = 0; m < MOVE_COUNT; m++) p[m] = (p[m] as number) / total;
  return p;
}

/** Everything the policy needs about a state, computed once. */
export interface PolicyInput {
  phi: Float64Array;
  mask: Uint8Array;
}

export function policyInput(s: DialogueState): PolicyInput {
  return { phi: featureVector(s), mask: legalMoves(s) };
}

export function moveProbabilities(params: SimParams, input: PolicyInput, temperature: number): Float64Array {
  return softmaxMoves(logits(params, input.phi), input.mask, temperature);
}
