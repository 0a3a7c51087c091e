/** Uniform choice among the expandable nodes not selected before: the baseline every policy must beat. */
import { unselectedExpandable, type SearchPolicy, resolveParams, type PolicyParams } from '../policy.ts';

export type RandomParams = {
  selections: number;
  rollouts: number;
  temperature: number;
};

export const RANDOM_DEFAULTS: RandomParams = { selections: 8, rollouts: 3, temperature: 0.7 };

export function randomPolicy(overrides: Partial<PolicyParams> = {}): SearchPolicy {
  const p = resolveParams('random', RANDOM_DEFAULTS, overrides);
  return {
    name: 'random',
    params: { ...p },
    selections: p.selections,
    rollouts: p.rollouts,
    temperature: p.temperature,
    select({ tree, selected, maxDepth, rng }) {
      return rng.pick(unselectedExpandable(tree, selected, maxDepth));
    },
  };
}
