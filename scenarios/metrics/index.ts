/**
 * Answer metrics of §1.3: token F1 (information exchange), exact match (GSM8K, ARC, MMLU)
 * and MATH equivalence. `scoreAnswer` is what the engine calls: the max over gold aliases.
 */
import type { MetricName } from '../schema.ts';
import { exactMatch } from './em.ts';
import { f1Score } from './f1.ts';
import { mathEquivalent, type MathOptions } from './math.ts';
import { pyStrip } from './pystr.ts';

export { exactMatch } from './em.ts';
export { f1Score, type F1Options } from './f1.ts';
export { DEFAULT_MATH_TIMEOUT_MS, mathEquivalent, type MathOptions } from './math.ts';
export { closeMathWorkers } from './math-client.ts';

async function scoreOne(metric: MetricName, pred: string, gold: string, opts: MathOptions): Promise<number> {
  switch (metric) {
    case 'f1':
      return f1Score(pred, gold);
    case 'em':
      return exactMatch(pred, gold);
    case 'math':
      return (await mathEquivalent(pred, gold, opts)) ? 1 : 0;
    default: {
      const unknown: never = metric;
      throw new Error(`unknown metric ${String(unknown)}`);
    }
  }
}

/**
 * The score of a final answer: the best over the gold aliases (TriviaQA lists several), 0 for
 * an empty prediction or an empty alias list. Aliases are tried in order and the search stops
 * at a perfect score, so MATH pairs are only sent to the worker while they can still help.
 */
export async function scoreAnswer(metric: MetricName, pred: string, golds: readonly string[], opts: MathOptions = {}): Promise<number> {
  if (pyStrip(pred) === '') return 0;
  let best = 0;
  for (const gold of golds) {
    best = Math.max(best, await scoreOne(metric, pred, gold, opts));
    if (best >= 1) break;
  }
  return best;
}
