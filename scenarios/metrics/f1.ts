/**
 * Token F1 of §1.3, as the reference `cal_f1_score` computes it: Llama-3 BPE pieces of the
 * lower-cased, stripped text, with no SQuAD-style normalisation (no article or punctuation
 * removal), precision and recall on token multisets.
 */
import { llama3Pieces } from '../tokens.ts';
import { pyLower, pyStrip } from './pystr.ts';

export interface F1Options {
  /**
   * The reference also applies `.strip("m=").strip("m = ")`: character sets, so a leading or
   * trailing "m", "=" (and then space) is removed — "Tom" is scored as "to". Default true
   * (faithful); false scores the plain `lower().strip()` text.
   */
  referenceStrip?: boolean;
}

function pieces(text: string, referenceStrip: boolean): string[] {
  let s = pyStrip(pyLower(text));
  if (referenceStrip) s = pyStrip(pyStrip(s, 'm='), 'm = ');
  return llama3Pieces(s);
}

function counts(tokens: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of tokens) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

/**
 * F1 in [0, 1]. Empty-case rule (the reference's): a zero denominator makes precision or
 * recall 0, and P + R = 0 gives F1 = 0. So F1 is 0 whenever either side has no tokens after
 * stripping — including when both are empty (SQuAD would give 1 there).
 * Symmetric in its arguments: swapping them swaps P and R.
 */
export function f1Score(pred: string, gold: string, opts: F1Options = {}): number {
  const referenceStrip = opts.referenceStrip ?? true;
  const predTokens = pieces(pred, referenceStrip);
  const goldTokens = pieces(gold, referenceStrip);
  const goldCounts = counts(goldTokens);
  let tp = 0;
  for (const [token, n] of counts(predTokens)) tp += Math.min(n, goldCounts.get(token) ?? 0);
  const fp = predTokens.length - tp;
  const fn = goldTokens.length - tp;
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  if (precision + recall === 0) return 0;
  // Same operation order as the reference, so scores match it to the last bit.
  return (2 * (precision * recall)) / (precision + recall);
}
