/**
 * The model's distribution over whole utterances, by enumeration: every legal move, every
 * content it can have, every phrasing, rendered. The set is finite and small (tens to a few
 * hundred texts), so probabilities of texts are exact sums, not estimates.
 *
 * p(text | state) = Σ_m p(m | state) · q_m(text), where q_m(text) = Σ over (content, phrasing)
 * rendering to `text` of p(content | m, state) · p(phrasing). Only p(m | state) depends on
 * the trainable parameters, so q ("evidence") is computed once per (state, text).
 */
import { MOVE_COUNT } from './moves.ts';
import { contents } from './outcomes.ts';
import { renderUtterance } from './render.ts';
import { analyseUtterance, type DialogueState } from './state.ts';
import { phrasings } from './templates.ts';

/** Every text move `move` can produce in `s`, with its probability given the move. */
export function moveTexts(s: DialogueState, move: number): Array<{ text: string; q: number }> {
  const out: Array<{ text: string; q: number }> = [];
  const k = phrasings(s.world.family, move).length;
  for (const c of contents(s, move)) {
    if (!(c.p > 0)) continue;
    for (let ph = 0; ph < k; ph++) out.push({ text: renderUtterance(s, move, c, ph), q: c.p / k });
  }
  return out;
}

/**
 * q_m(text) for every legal move. Moves none of whose phrasings match the text (the
 * recogniser's verdict, memoised per text) are skipped without rendering.
 */
export function moveEvidence(s: DialogueState, mask: Uint8Array, text: string): Float64Array {
  const q = new Float64Array(MOVE_COUNT);
  const candidates = analyseUtterance(s.world, s.view, text).moves;
  for (let m = 0; m < MOVE_COUNT; m++) {
    if (!mask[m] || !(candidates & (1 << m))) continue;
    let sum = 0;
    for (const t of moveTexts(s, m)) if (t.text === text) sum += t.q;
    q[m] = sum;
  }
  return q;
}

/** Every producible text with its probability under move probabilities `probs`. */
export function textDistribution(s: DialogueState, mask: Uint8Array, probs: Float64Array): Map<string, number> {
  const dist = new Map<string, number>();
  for (let m = 0; m < MOVE_COUNT; m++) {
    const pm = probs[m] as number;
    if (!mask[m] || !(pm > 0)) continue;
    for (const t of moveTexts(s, m)) dist.set(t.text, (dist.get(t.text) ?? 0) + pm * t.q);
  }
  return dist;
}
