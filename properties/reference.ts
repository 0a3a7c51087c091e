/**
 * Each built-in policy's rule, computed again from its definition (§2.3 and the policies'
 * headers) with plain loops over the tree, so a policy can be checked against the rule it
 * claims: a UCT with a sign error, an Optima that skips its edit-distance filter, a best-of-n
 * that leaves the root. The rules share nothing with engine/search/policies but the legality
 * test and the tree; a rule that samples draws from the same keyed rng, so it names one node.
 */
import { ditsScore, DITS_DEFAULTS } from '../engine/search/policies/dits.ts';
import { OPTIMA_DEFAULTS } from '../engine/search/policies/optima.ts';
import { PUCT_DEFAULTS } from '../engine/search/policies/puct.ts';
import { UCT_DEFAULTS } from '../engine/search/policies/uct.ts';
import { BEST_OF_N_DEFAULTS } from '../engine/search/policies/best-of-n.ts';
import { expandable, type PolicyParams, type SelectionContext } from '../engine/search/policy.ts';
import { selectionRatio } from '../engine/tree/edit.ts';
import { NO_NODE, ROOT, type TreeStore } from '../engine/tree/store.ts';

/** The node the rule picks in this context (the context's rng is the rule's to draw from). */
export type ReferenceRule = (ctx: SelectionContext) => number;

const num = (params: PolicyParams, key: string, fallback: number) => (typeof params[key] === 'number' ? (params[key] as number) : fallback);

/** Expandable nodes not selected before; the root always (it may be expanded again). */
function openNodes({ tree, selected, maxDepth }: SelectionContext): number[] {
  const out: number[] = [];
  for (let n = 0; n < tree.size; n++) if (expandable(tree, n, maxDepth) && (n === ROOT || !selected.includes(n))) out.push(n);
  return out;
}

/** The first node of the highest score. */
function firstBest(nodes: readonly number[], score: (n: number) => number): number {
  let best = ROOT;
  let top = -Infinity;
  for (const n of nodes) {
    const s = score(n);
    if (s > top) [best, top] = [n, s];
  }
  return best;
}

function uct(params: PolicyParams): ReferenceRule {
  const c = num(params, 'c', UCT_DEFAULTS.c);
  return (ctx) => {
    const rootVisits = Math.max(1, ctx.tree.visits[ROOT] as number);
    return firstBest(openNodes(ctx), (n) => {
      const visits = ctx.tree.visits[n] as number;
      return visits === 0 ? Infinity : ctx.tree.value(n) + c * Math.sqrt(Math.log(rootVisits) / visits);
    });
  };
}

function puct(params: PolicyParams): ReferenceRule {
  const c = num(params, 'c', PUCT_DEFAULTS.c);
  return (ctx) =>
    firstBest(openNodes(ctx), (n) => {
      const { tree } = ctx;
      const parent = tree.parent[n] as number;
      const prior = parent === NO_NODE ? 1 : 1 / (tree.childCount[parent] as number);
      const parentVisits = tree.visits[parent === NO_NODE ? ROOT : parent] as number;
      return tree.value(n) + (c * prior * Math.sqrt(parentVisits)) / (1 + (tree.visits[n] as number));
    });
}

/** Optima's candidates that can be expanded and are not within `filter` of any earlier selection. */
function filteredCandidates(ctx: SelectionContext, filter: number): number[] {
  const { tree, selected, maxDepth } = ctx;
  const out: number[] = [];
  for (let n = 0; n < tree.size; n++) {
    const first = tree.firstChild[n] as number;
    const candidate = n === ROOT || (first !== NO_NODE && tree.firstChild[first] !== NO_NODE);
    if (!candidate || !expandable(tree, n, maxDepth)) continue;
    if (selected.every((s) => selectionRatio(tree.text[n] as string, tree.text[s] as string) >= filter)) out.push(n);
  }
  return out;
}

/** Softmax over the `k` best scores, sampled with the context's rng. */
function softmaxTop(ctx: SelectionContext, nodes: readonly number[], k: number, score: (n: number) => number): number {
  if (nodes.length === 0) return ROOT;
  const top = [...nodes].sort((a, b) => score(b) - score(a) || a - b).slice(0, k);
  const max = Math.max(...top.map(score));
  return top[ctx.rng.weighted(top.map((n) => Math.exp(score(n) - max)))] as number;
}

function optima(params: PolicyParams): ReferenceRule {
  const k = num(params, 'topK', OPTIMA_DEFAULTS.topK);
  const filter = num(params, 'filter', OPTIMA_DEFAULTS.filter);
  return (ctx) => softmaxTop(ctx, filteredCandidates(ctx, filter), k, (n) => ctx.tree.value(n));
}

function dits(params: PolicyParams): ReferenceRule {
  const k = num(params, 'topK', DITS_DEFAULTS.topK);
  const filter = num(params, 'filter', DITS_DEFAULTS.filter);
  const weights = { gamma: num(params, 'gamma', DITS_DEFAULTS.gamma), bonus: num(params, 'bonus', DITS_DEFAULTS.bonus) };
  return (ctx) => softmaxTop(ctx, filteredCandidates(ctx, filter), k, (n) => ditsScore(ctx.tree.influence[n] as number, ctx.tree.value(n), weights));
}

const random = (): ReferenceRule => (ctx) => {
  const open = openNodes(ctx);
  return open[ctx.rng.below(open.length)] as number;
};

const bestOfN = (): ReferenceRule => () => ROOT;

/** The rule of each built-in by name, given the policy's parameters. */
export const REFERENCE_RULES: Record<string, (params: PolicyParams) => ReferenceRule> = {
  uct,
  puct,
  optima,
  dits,
  random,
  'best-of-n': bestOfN,
};

/** What a rule fixes beyond the choice: best-of-n spends its whole budget in one selection at the root. */
export function budgetShapeProblem(rule: string, policy: { selections: number; rollouts: number; params: PolicyParams }): string | null {
  if (rule !== 'best-of-n') return null;
  const n = num(policy.params, 'n', BEST_OF_N_DEFAULTS.n);
  if (policy.selections !== 1 || policy.rollouts !== n) return `best-of-n must make 1 selection of n = ${n} rollouts, not ${policy.selections} x ${policy.rollouts}`;
  return null;
}

/** How wide the root may grow: at most one child per rollout that started there. */
export function rootWidthProblem(tree: TreeStore, rootRollouts: number): string | null {
  const width = tree.childCount[ROOT] as number;
  return width > rootRollouts ? `the root has ${width} children from ${rootRollouts} rollouts` : null;
}
