/**
 * DITS' influence-guided selection. Optima's candidates, edit-distance filter and softmax over
 * the top K, but each candidate is scored by
 *
 *   score(n) = Ĩ(n) + γ·Q(n)      when some probed pair involves n,
 *   score(n) = bonus + γ·Q(n)     otherwise,
 *
 * where Ĩ(n) is the mean normalised influence of the probed pairs n takes part in
 * (engine/search/influence-map.ts). The bonus (default 0.5, the middle of Ĩ's [0, 1] range) lets
 * unprobed branches compete with probed ones instead of being starved or favoured; with γ = 1
 * this is the data-selection rule H = Ĩ + γQ of §3.3 moved into expansion. Probing itself is
 * done by the search coordinator every `probeEvery` selections, on pairs not yet probed.
 */
import { ROOT } from '../../tree/store.ts';
import { expandable, resolveParams, sampleSoftmax, type PolicyParams, type SearchPolicy, type SelectionContext } from '../policy.ts';
import { filterAgainstSelected, optimaCandidates, OPTIMA_DEFAULTS } from './optima.ts';

export type DitsParams = {
  selections: number;
  rollouts: number;
  temperature: number;
  topK: number;
  filter: number;
  /** Weight of Q against influence. */
  gamma: number;
  /** Score of a node no probed pair involves yet, before γ·Q. */
  bonus: number;
  /** Probe new pairs after every this many selections. */
  probeEvery: number;
  /** Pairs per probe group during the search. */
  groupSize: number;
};

export const DITS_DEFAULTS: DitsParams = { ...OPTIMA_DEFAULTS, gamma: 1, bonus: 0.5, probeEvery: 2, groupSize: 5 };

export function ditsScore(influence: number, q: number, p: Pick<DitsParams, 'gamma' | 'bonus'>): number {
  return (Number.isNaN(influence) ? p.bonus : influence) + p.gamma * q;
}

export function ditsPolicy(overrides: Partial<PolicyParams> = {}): SearchPolicy {
  const p = resolveParams('dits', DITS_DEFAULTS, overrides);
  return {
    name: 'dits',
    params: { ...p },
    selections: p.selections,
    rollouts: p.rollouts,
    temperature: p.temperature,
    probing: { every: p.probeEvery, groupSize: p.groupSize },
    select(ctx: SelectionContext): number {
      const { tree } = ctx;
      const eligible = optimaCandidates(tree).filter((n) => expandable(tree, n, ctx.maxDepth));
      const survivors = filterAgainstSelected(tree, eligible, ctx.selected, p.filter);
      if (survivors.length === 0) return ROOT;
      const score = (n: number) => ditsScore(tree.influence[n] as number, tree.value(n), p);
      const top = [...survivors].sort((a, b) => score(b) - score(a) || a - b).slice(0, p.topK);
      return top[sampleSoftmax(top.map(score), ctx.rng)] as number;
    },
  };
}
