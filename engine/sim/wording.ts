/**
 * How a move is put into words: a softmax over the move's phrasings of one logit per (move,
 * phrasing) plus a shared weight on phrasings that name the partner. Trainable like the moves,
 * so a pair that differs only in wording (shorter, or free of the partner's name) has a gradient.
 */
import { MOVE_COUNT } from './moves.ts';
import { NAMES_PARTNER, type SimParams } from './params.ts';
import { namesPartner, phrasings, PHRASINGS, type Family } from './templates.ts';

/** Per family and move, which phrasings name the partner (0/1): fixed by the templates, read on every likelihood. */
const NAMING: Record<Family, Float64Array[]> = {
  debate: namingTable('debate'),
  'information-exchange': namingTable('information-exchange'),
};

function namingTable(family: Family): Float64Array[] {
  return Array.from({ length: MOVE_COUNT }, (_, move) => {
    const n = new Float64Array(PHRASINGS);
    phrasings(family, move).forEach((t, k) => {
      n[k] = namesPartner(t) ? 1 : 0;
    });
    return n;
  });
}

/** Logit of each phrasing of `move` (length PHRASINGS). */
function phrasingLogits(params: SimParams, family: Family, move: number): Float64Array {
  const z = new Float64Array(PHRASINGS);
  const naming = params.wording[NAMES_PARTNER] as number;
  const names = NAMING[family][move] as Float64Array;
  for (let k = 0; k < PHRASINGS; k++) z[k] = (params.wording[move * PHRASINGS + k] as number) + (names[k] as number) * naming;
  return z;
}

/** p(phrasing | move): the wording is sampled at its own probabilities, never tempered. */
export function phrasingProbabilities(params: SimParams, family: Family, move: number): Float64Array {
  const z = phrasingLogits(params, family, move);
  const top = Math.max(...z);
  const p = z.map((x) => Math.exp(x - top));
  const total = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / total);
}

/** The greedy phrasing: the most probable, the lowest index on a tie (phrasing 0 at the base). */
export function greedyPhrasing(params: SimParams, family: Family, move: number): number {
  const z = phrasingLogits(params, family, move);
  let best = 0;
  for (let k = 1; k < z.length; k++) if ((z[k] as number) > (z[best] as number)) best = k;
  return best;
}

/** Which of the move's phrasings name the partner, as 0/1 (shared: do not write to it). */
export function partnerNaming(family: Family, move: number): Float64Array {
  return NAMING[family][move] as Float64Array;
}
