/**
 * The model's distribution over whole utterances, by enumeration: every legal move, every
 * content it can have, every phrasing, rendered. The set is finite and small (tens to a few
 * hundred texts), so probabilities of texts are exact sums, not estimates.
 *
 * p(text | state) = Σ_m p(m | state) · q_m(text), where q_m(text) = Σ over (content c, phrasing k)
 * rendering to `text` of p(c | m, state) · π_m(k). p(m | state) depends on the move weights;
 * p(c | m, state) on move m's answer skill alone, and affinely through its gold probability
 * p_gold; π_m(k) on the wording parameters (wording.ts). Training keeps the evidence per
 * phrasing (`moveEvidenceTerms`) so that both can be differentiated.
 */
import { MOVE_COUNT } from './moves.ts';
import { contents } from './outcomes.ts';
import { defaultParams, skillOf, type SimParams } from './params.ts';
import { renderUtterance } from './render.ts';
import { analyseUtterance, type DialogueState } from './state.ts';
import { phrasings, PHRASINGS } from './templates.ts';
import { phrasingProbabilities } from './wording.ts';

const BASE = defaultParams();

export interface MoveText {
  text: string;
  /** Probability of the text given the move: p(content) · π(phrasing). */
  q: number;
  /** dq / dp_gold: how the text's probability moves with the move's gold probability (0 when skill does not apply). */
  dq: number;
  phrasing: number;
}

/** Every text move `move` can produce in `s` under `params` (the base model's when absent), with its probability given the move. */
export function moveTexts(s: DialogueState, move: number, params: SimParams = BASE): MoveText[] {
  const out: MoveText[] = [];
  const k = phrasings(s.world.family, move).length;
  const pi = phrasingProbabilities(params, s.world.family, move);
  for (const c of contents(s, move, skillOf(params, move))) {
    if (!(c.p > 0)) continue;
    for (let ph = 0; ph < k; ph++) {
      const w = pi[ph] as number;
      out.push({ text: renderUtterance(s, move, c, ph), q: c.p * w, dq: (c.dg ?? 0) * w, phrasing: ph });
    }
  }
  return out;
}

/**
 * Per (move, phrasing) evidence for one text at skill 0: qk = p(content) summed over the
 * contents that render to the text in that phrasing, dqk its slope in the move's p_gold. Row-major
 * [move][phrasing]; q_m(text) = Σ_k π_m(k) · (qk + (p_gold − p_base) · dqk).
 */
export interface EvidenceTerms {
  qk: Float64Array;
  dqk: Float64Array;
}

/**
 * The evidence of `text` for every legal move. Moves none of whose phrasings match the text
 * (the recogniser's verdict, memoised per text) are skipped without rendering.
 */
export function moveEvidenceTerms(s: DialogueState, mask: Uint8Array, text: string): EvidenceTerms {
  const qk = new Float64Array(MOVE_COUNT * PHRASINGS);
  const dqk = new Float64Array(MOVE_COUNT * PHRASINGS);
  const candidates = analyseUtterance(s.world, s.view, text).moves;
  for (let m = 0; m < MOVE_COUNT; m++) {
    if (!mask[m] || !(candidates & (1 << m))) continue;
    const k = phrasings(s.world.family, m).length;
    for (const c of contents(s, m)) {
      if (!(c.p > 0)) continue;
      for (let ph = 0; ph < k; ph++) {
        if (renderUtterance(s, m, c, ph) !== text) continue;
        qk[m * PHRASINGS + ph] = (qk[m * PHRASINGS + ph] as number) + c.p;
        dqk[m * PHRASINGS + ph] = (dqk[m * PHRASINGS + ph] as number) + (c.dg ?? 0);
      }
    }
  }
  return { qk, dqk };
}

/** q_m(text) for every legal move, at the skills and wording of `params`. */
export function moveEvidence(s: DialogueState, mask: Uint8Array, text: string, params: SimParams): Float64Array {
  const q = new Float64Array(MOVE_COUNT);
  const candidates = analyseUtterance(s.world, s.view, text).moves;
  for (let m = 0; m < MOVE_COUNT; m++) {
    if (!mask[m] || !(candidates & (1 << m))) continue;
    let sum = 0;
    for (const t of moveTexts(s, m, params)) if (t.text === text) sum += t.q;
    q[m] = sum;
  }
  return q;
}

/** Every producible text with its probability under move probabilities `probs` and the skills and wording of `params`. */
export function textDistribution(s: DialogueState, mask: Uint8Array, probs: Float64Array, params: SimParams): Map<string, number> {
  const dist = new Map<string, number>();
  for (let m = 0; m < MOVE_COUNT; m++) {
    const pm = probs[m] as number;
    if (!mask[m] || !(pm > 0)) continue;
    for (const t of moveTexts(s, m, params)) dist.set(t.text, (dist.get(t.text) ?? 0) + pm * t.q);
  }
  return dist;
}
