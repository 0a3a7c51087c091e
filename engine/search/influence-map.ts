/**
 * Influence on the tree, for influence-guided search: the normalised influence of a probed
 * pair is credited to the three nodes that make it (the node where the agents' paths split,
 * its chosen child and its rejected child); a node in several probed pairs gets their mean.
 * Normalisation is per task (min-max over the task's probed groups so far), so one task's
 * search never depends on another's.
 */
import type { TreePair } from './pairs.ts';
import type { TreeStore } from '../tree/store.ts';
import { minMaxNormalize } from '../influence/normalize.ts';

export interface ProbedGroup {
  pairs: TreePair[];
  /** F_g: the validation metric after the group's probe step. */
  metric: number;
}

/** A pair's identity within its tree. */
export const pairKey = (p: TreePair) => `${p.node}:${p.chosen}:${p.rejected}`;

/** Rewrites `tree.influence` from every group probed so far in this task. */
export function applyInfluence(tree: TreeStore, groups: readonly ProbedGroup[]): void {
  const normalized = minMaxNormalize(groups.map((g) => g.metric));
  const sum = new Map<number, number>();
  const count = new Map<number, number>();
  groups.forEach((g, i) => {
    for (const p of g.pairs) {
      for (const n of [p.node, p.chosen, p.rejected]) {
        sum.set(n, (sum.get(n) ?? 0) + (normalized[i] as number));
        count.set(n, (count.get(n) ?? 0) + 1);
      }
    }
  });
  tree.influence.fill(Number.NaN);
  for (const [n, s] of sum) tree.influence[n] = s / (count.get(n) as number);
}

/**
 * Groups of `size` pairs of the tree's current candidate pairs (before the per-tree quota) that
 * no earlier group probed, in node order; a remainder smaller than `size` waits for later pairs.
 */
export function unprobedGroups(candidates: readonly TreePair[], probed: ReadonlySet<string>, size: number): TreePair[][] {
  const fresh = candidates.filter((p) => !probed.has(pairKey(p)));
  const groups: TreePair[][] = [];
  for (let i = 0; i + size <= fresh.length; i += size) groups.push(fresh.slice(i, i + size));
  return groups;
}
