/**
 * Optima's selection (§2.3): candidates are the root and every node whose first child has
 * children (no leaves, no second-to-last level); a candidate within 0.25 normalized edit
 * distance of any earlier selection is dropped for good; among the top 10 by value one is
 * sampled by softmax over the raw values; the root when nothing survives.
 */
import { SELECTION_FILTER, selectionRatio } from '../../tree/edit.ts';
import { NO_NODE, ROOT, type TreeStore } from '../../tree/store.ts';
import { expandable, sampleSoftmax, type SearchPolicy, type SelectionContext, resolveParams, type PolicyParams } from '../policy.ts';

export type OptimaParams = {
  selections: number;
  rollouts: number;
  temperature: number;
  /** How many of the best candidates enter the softmax. */
  topK: number;
  /** The edit-distance filter against earlier selections. */
  filter: number;
};

export const OPTIMA_DEFAULTS: OptimaParams = { selections: 8, rollouts: 3, temperature: 0.7, topK: 10, filter: SELECTION_FILTER };

/** The root, and nodes whose first child has children. */
export function optimaCandidates(tree: TreeStore): number[] {
  const out = [ROOT];
  for (let n = 1; n < tree.size; n++) {
    const first = tree.firstChild[n] as number;
    if (first !== NO_NODE && tree.firstChild[first] !== NO_NODE) out.push(n);
  }
  return out;
}

/** Candidates not within `filter` of an earlier selection (by utterance text). */
export function filterAgainstSelected(tree: TreeStore, candidates: readonly number[], selected: readonly number[], filter: number): number[] {
  return candidates.filter((c) => selected.every((s) => selectionRatio(tree.text[c] as string, tree.text[s] as string) >= filter));
}

/**
 * What `filterAgainstSelected` found so far for one tree: `passed[c]` is how many of the
 * selections in `selected` candidate c is known to be far enough from (-1: dropped). Texts never
 * change, so a verdict holds for as long as the later selections extend `selected`.
 */
interface Verdicts {
  selected: number[];
  passed: Map<number, number>;
}

/**
 * `filterAgainstSelected` over successive selections of one tree, measuring each candidate only
 * against the selections it has not been measured against yet: same result, no repeated edit
 * distances. Anything but an extension of the previous `selected` starts afresh.
 */
function filterIncrementally(memo: WeakMap<TreeStore, Verdicts>, tree: TreeStore, candidates: readonly number[], selected: readonly number[], filter: number): number[] {
  let v = memo.get(tree);
  if (!v || v.selected.length > selected.length || v.selected.some((s, i) => s !== selected[i])) {
    v = { selected: [], passed: new Map() };
    memo.set(tree, v);
  }
  const { passed } = v;
  const survivors = candidates.filter((c) => {
    let k = passed.get(c) ?? 0;
    if (k < 0) return false;
    for (; k < selected.length; k++) {
      if (selectionRatio(tree.text[c] as string, tree.text[selected[k] as number] as string) < filter) {
        passed.set(c, -1);
        return false;
      }
    }
    passed.set(c, k);
    return true;
  });
  v.selected = selected.slice();
  return survivors;
}

/** Indices of the k highest values; ties keep the earlier node first. */
export function topByValue(tree: TreeStore, nodes: readonly number[], k: number): number[] {
  return [...nodes].sort((a, b) => tree.value(b) - tree.value(a) || a - b).slice(0, k);
}

export function optimaPolicy(overrides: Partial<PolicyParams> = {}): SearchPolicy {
  const p = resolveParams('optima', OPTIMA_DEFAULTS, overrides);
  const verdicts = new WeakMap<TreeStore, Verdicts>();
  return {
    name: 'optima',
    params: { ...p },
    selections: p.selections,
    rollouts: p.rollouts,
    temperature: p.temperature,
    select(ctx: SelectionContext): number {
      const { tree } = ctx;
      const eligible = optimaCandidates(tree).filter((n) => expandable(tree, n, ctx.maxDepth));
      const survivors = filterIncrementally(verdicts, tree, eligible, ctx.selected, p.filter);
      // After the task's last selection the verdicts are of no more use: do not keep them with the tree.
      if (ctx.selection + 1 >= p.selections) verdicts.delete(tree);
      if (survivors.length === 0) return ROOT;
      const top = topByValue(tree, survivors, p.topK);
      return top[sampleSoftmax(top.map((n) => tree.value(n)), ctx.rng)] as number;
    },
  };
}
