/**
 * Exact match of §1.3: `gold.strip().lower() == pred.strip().strip("\\").lower()`.
 * Only the prediction loses backslashes at its ends (a model's stray `\` around a choice).
 */
import { pyLower, pyStrip } from './pystr.ts';

export function exactMatch(pred: string, gold: string): number {
  return pyLower(pyStrip(gold)) === pyLower(pyStrip(pyStrip(pred), '\\')) ? 1 : 0;
}
