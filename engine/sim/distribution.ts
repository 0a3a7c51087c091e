/**
 * The model's distribution over whole utterances, by enumeration: every legal move, every
 * content it can have, every phrasing, rendered. The set is finite and small (tens to a few
 * hundred texts), so probabilities of texts are exact sums, not estimates.
 *
 * p(text | state) = Σ_m p(m | state) · q_m(text), where q_m(text) = Σ over (content, phrasing)
 * rendering to `text` of p(content | m, state) · p(phrasing). p(m | state) depends on the move
 * weights; p(content | m, state) on move m's answer skill alone, and affinely through its gold
 * probability p_gold: q_m = q_m(base) + (p_gold − p_base) · dq_m (see `moveEvidenceTerms`).
 */
import { MOVE_COUNT } from './moves.ts';
import { contents } from './outcomes.ts';
import { skillOf, type SimParams } from './params.ts';
import { renderUtterance } from './render.ts';
import { analyseUtterance, type DialogueState } from './state.ts';
import { phrasings } from './templates.ts';

export interface MoveText {
  text: string;
  /** Probability of the text given the move. */
  q: number;
  /** dq / dp_gold: how the text's probability moves with the move's gold probability (0 when skill does not apply). */
  dq: number;
}

/** Every text move `move` can produce in `s` at answer skill `skill`, with its probability given the move. */
export function moveTexts(s: DialogueState, move: number, skill = 0): MoveText[] {
  const out: MoveText[] = [];
  const k = phrasings(s.world.family, move).length;
  for (const c of contents(s, move, skill)) {
    if (!(c.p > 0)) continue;
    const dq = (c.dg ?? 0) / k;
    for (let ph = 0; ph < k; ph++) out.push({ text: renderUtterance(s, move, c, ph), q: c.p / k, dq });
  }
  return out;
}

/** Per-move evidence for one text: q_m(text) and dq_m / dp_gold(m), both at one set of skills. */
export interface EvidenceTerms {
  q: Float64Array;
  dq: Float64Array;
}

/**
 * q_m(text) and dq_m/dp_gold for every legal move, at the skills of `params` (base skills when
 * absent). Moves none of whose phrasings match the text (the recogniser's verdict, memoised
 * per text) are skipped without rendering.
 */
export function moveEvidenceTerms(s: DialogueState, mask: Uint8Array, text: string, params?: SimParams): EvidenceTerms {
  const q = new Float64Array(MOVE_COUNT);
  const dq = new Float64Array(MOVE_COUNT);
  const candidates = analyseUtterance(s.world, s.view, text).moves;
  for (let m = 0; m < MOVE_COUNT; m++) {
    if (!mask[m] || !(candidates & (1 << m))) continue;
    let sum = 0;
    let slope = 0;
    for (const t of moveTexts(s, m, params ? skillOf(params, m) : 0)) {
      if (t.text !== text) continue;
      sum += t.q;
      slope += t.dq;
    }
    q[m] = sum;
    dq[m] = slope;
  }
  return { q, dq };
}

/** q_m(text) for every legal move, at the skills of `params`. */
export function moveEvidence(s: DialogueState, mask: Uint8Array, text: string, params: SimParams): Float64Array {
  return moveEvidenceTerms(s, mask, text, params).q;
}

/** Every producible text with its probability under move probabilities `probs` and the skills of `params`. */
export function textDistribution(s: DialogueState, mask: Uint8Array, probs: Float64Array, params: SimParams): Map<string, number> {
  const dist = new Map<string, number>();
  for (let m = 0; m < MOVE_COUNT; m++) {
    const pm = probs[m] as number;
    if (!mask[m] || !(pm > 0)) continue;
    for (const t of moveTexts(s, m, skillOf(params, m))) dist.set(t.text, (dist.get(t.text) ?? 0) + pm * t.q);
  }
  return dist;
}
