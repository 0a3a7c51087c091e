/**
 * Best-of-n: every rollout starts at the root, so the tree is n independent dialogues that
 * share only identical openings. The default n = 24 spends Optima's budget (8 x 3).
 */
import { ROOT } from '../../tree/store.ts';
import { resolveParams, type PolicyParams, type SearchPolicy } from '../policy.ts';

export type BestOfNParams = {
  n: number;
  temperature: number;
};

export const BEST_OF_N_DEFAULTS: BestOfNParams = { n: 24, temperature: 0.7 };

export function bestOfNPolicy(overrides: Partial<PolicyParams> = {}): SearchPolicy {
  const p = resolveParams('best-of-n', BEST_OF_N_DEFAULTS, overrides);
  return {
    name: 'best-of-n',
    params: { ...p },
    selections: 1,
    rollouts: p.n,
    temperature: p.temperature,
    select: () => ROOT,
  };
}
