/** UCT over the expandable nodes: Q + c * sqrt(ln N(root) / N(node)). No randomness. */
import { ROOT } from '../../tree/store.ts';
import { argmaxBy, unselectedExpandable, type SearchPolicy, resolveParams, type PolicyParams } from '../policy.ts';

export type UctParams = {
  selections: number;
  rollouts: number;
  temperature: number;
  /** Exploration weight; Optima rewards span roughly -2..2, so 1 balances Q and exploration. */
  c: number;
};

export const UCT_DEFAULTS: UctParams = { selections: 8, rollouts: 3, temperature: 0.7, c: 1 };

export function uctPolicy(overrides: Partial<PolicyParams> = {}): SearchPolicy {
  const p = resolveParams('uct', UCT_DEFAULTS, overrides);
  return {
    name: 'uct',
    params: { ...p },
    selections: p.selections,
    rollouts: p.rollouts,
    temperature: p.temperature,
    select({ tree, selected, maxDepth }) {
      const total = Math.max(1, tree.visits[ROOT] as number);
      return argmaxBy(unselectedExpandable(tree, selected, maxDepth), (n) => {
        const visits = tree.visits[n] as number;
        return visits === 0 ? Infinity : tree.value(n) + p.c * Math.sqrt(Math.log(total) / visits);
      });
    },
  };
}
