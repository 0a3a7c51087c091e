/**
 * PUCT over the expandable nodes: Q + c * P * sqrt(N(parent)) / (1 + N(node)). The prior P is
 * uniform over a node's siblings (the sampled children of one parent are equally likely a
 * priori); the root's is 1.
 */
import { NO_NODE, ROOT } from '../../tree/store.ts';
import { argmaxBy, unselectedExpandable, type SearchPolicy, resolveParams, type PolicyParams } from '../policy.ts';

export type PuctParams = {
  selections: number;
  rollouts: number;
  temperature: number;
  c: number;
};

export const PUCT_DEFAULTS: PuctParams = { selections: 8, rollouts: 3, temperature: 0.7, c: 1.5 };

export function puctPolicy(overrides: Partial<PolicyParams> = {}): SearchPolicy {
  const p = resolveParams('puct', PUCT_DEFAULTS, overrides);
  return {
    name: 'puct',
    params: { ...p },
    selections: p.selections,
    rollouts: p.rollouts,
    temperature: p.temperature,
    select({ tree, selected, maxDepth }) {
      return argmaxBy(unselectedExpandable(tree, selected, maxDepth), (n) => {
        const parent = tree.parent[n] as number;
        const prior = parent === NO_NODE ? 1 : 1 / (tree.childCount[parent] as number);
        const parentVisits = parent === NO_NODE ? (tree.visits[ROOT] as number) : (tree.visits[parent] as number);
        return tree.value(n) + (p.c * prior * Math.sqrt(parentVisits)) / (1 + (tree.visits[n] as number));
      });
    },
  };
}
