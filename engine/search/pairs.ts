/**
 * Preference pairs from a search tree (§2.3): at every node with two or more children, the
 * best child (by Q) is chosen and the worst rejected, kept when the chosen value exceeds the
 * threshold and the gap exceeds the minimum; per tree, the top half by chosen value survives
 * (a single pair is kept).
 */
import type { ChatMessage } from '../base/model-backend.ts';
import type { PreferencePair } from '../base/examples.ts';
import { NO_NODE, type TreeStore } from '../tree/store.ts';

export interface PairThresholds {
  /** θ_filter: the chosen value must exceed it. */
  pairThreshold: number;
  /** θ_diff: chosen minus rejected value must exceed it. */
  pairGap: number;
}

/** A candidate pair inside one tree, before prompts are attached. */
export interface TreePair {
  node: number;
  chosen: number;
  rejected: number;
  chosenValue: number;
  rejectedValue: number;
}

/** Best and worst child by value; ties go to the earlier child, so the result is deterministic. */
function extremes(tree: TreeStore, node: number): { best: number; worst: number } {
  let best = NO_NODE;
  let worst = NO_NODE;
  for (let c = tree.firstChild[node] as number; c !== NO_NODE; c = tree.nextSibling[c] as number) {
    if (best === NO_NODE || tree.value(c) > tree.value(best)) best = c;
    if (worst === NO_NODE || tree.value(c) < tree.value(worst)) worst = c;
  }
  return { best, worst };
}

/** Every pair that meets the thresholds, in node order (before the per-tree quota). */
export function candidatePairs(tree: TreeStore, t: PairThresholds): TreePair[] {
  const out: TreePair[] = [];
  for (let n = 0; n < tree.size; n++) {
    if ((tree.childCount[n] as number) < 2) continue;
    const { best, worst } = extremes(tree, n);
    const chosenValue = tree.value(best);
    const rejectedValue = tree.value(worst);
    if (chosenValue > t.pairThreshold && chosenValue - rejectedValue > t.pairGap) {
      out.push({ node: n, chosen: best, rejected: worst, chosenValue, rejectedValue });
    }
  }
  return out;
}

/** §2.3's per-tree quota: ⌊n/2⌋ pairs, but one when there is one. */
export function pairQuota(n: number): number {
  return n === 1 ? 1 : Math.floor(n / 2);
}

/** The tree's pairs after the quota: highest chosen value first (ties: earlier node first). */
export function treePairs(tree: TreeStore, t: PairThresholds): TreePair[] {
  const all = candidatePairs(tree, t);
  return all.sort((a, b) => b.chosenValue - a.chosenValue || a.node - b.node).slice(0, pairQuota(all.length));
}

/**
 * A pair with its prompt: the chosen speaker's system prompt, then every utterance from the
 * root to the pair's node as an assistant turn (§2.3).
 */
export function toPreferencePair(
  tree: TreeStore,
  pair: TreePair,
  taskId: string,
  agentNames: readonly string[],
  systemPrompts: readonly string[],
): PreferencePair {
  const speakerIndex = tree.speaker[pair.chosen] as number;
  const prompt: ChatMessage[] = [
    { role: 'system', content: systemPrompts[speakerIndex] as string },
    ...tree.lineage(pair.node).map((n) => ({ role: 'assistant' as const, content: tree.text[n] as string })),
  ];
  return {
    taskId,
    nodePath: tree.path(pair.node),
    speaker: agentNames[speakerIndex] as string,
    prompt,
    chosen: tree.text[pair.chosen] as string,
    rejected: tree.text[pair.rejected] as string,
    chosenValue: pair.chosenValue,
    rejectedValue: pair.rejectedValue,
    gap: pair.chosenValue - pair.rejectedValue,
  };
}
