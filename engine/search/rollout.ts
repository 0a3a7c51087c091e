/**
 * What one selection does to a tree (§2.3 steps 4-5), as pure steps around the model calls:
 * the history a rollout continues from, the key of its randomness, and the integration of
 * finished, scored rollouts - in rollout order, whatever order they finished in.
 */
import type { Dialogue, Utterance } from '../dialogue/dialogue.ts';
import type { KeyPart } from '../base/rng.ts';
import { insertRollout } from '../tree/grow.ts';
import type { TreeStore } from '../tree/store.ts';

/** The utterances from the root down to `node`: the history a rollout from `node` continues. */
export function historyOf(tree: TreeStore, node: number, agentNames: readonly string[]): Utterance[] {
  return tree.lineage(node).map((n) => ({
    speaker: agentNames[tree.speaker[n] as number] as string,
    text: tree.text[n] as string,
    answer: tree.answer[n] as string,
    tokens: tree.tokens[n] as number,
  }));
}

/** Randomness key of rollout `r` of the `selection`-th selection of a task. */
export function rolloutKey(seed: number, taskId: string, selection: number, r: number): KeyPart[] {
  return [seed, taskId, 'rollout', selection, r];
}

/** A finished rollout with its reward (search path of §2.1). */
export interface ScoredRollout {
  dialogue: Dialogue;
  reward: number;
}

/**
 * Adds the rollouts, in the order given, below `from`: new utterances merge into near-identical
 * siblings, and each rollout's reward is backed up from its last node to the root.
 * Returns how many nodes were created.
 */
export function integrateRollouts(
  tree: TreeStore,
  from: number,
  rollouts: readonly ScoredRollout[],
  agentNames: readonly string[],
): number {
  const depth = tree.depth[from] as number;
  const speakerIndex = (name: string) => agentNames.indexOf(name);
  let created = 0;
  for (const r of rollouts) {
    const fresh = r.dialogue.utterances.slice(depth);
    const { leaf, created: n } = insertRollout(tree, from, fresh, speakerIndex);
    tree.backup(leaf, r.reward);
    created += n;
  }
  return created;
}
