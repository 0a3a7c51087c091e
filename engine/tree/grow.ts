/**
 * Growing a tree with a rollout (§2.3 step 4-5): each utterance of the rollout goes under the
 * node reached so far, merging into an existing child whose text is within the merge ratio;
 * then the rollout's reward is backed up from the last node to the root.
 */
import type { Utterance } from '../dialogue/dialogue.ts';
import { MERGE_THRESHOLD, mergeRatio } from './edit.ts';
import { NO_NODE, type TreeStore } from './store.ts';

/** The child of `parent` that `text` merges into (the closest within the threshold), or NO_NODE. */
export function mergeTarget(tree: TreeStore, parent: number, text: string, threshold = MERGE_THRESHOLD): number {
  let best = NO_NODE;
  let bestRatio = threshold;
  for (let c = tree.firstChild[parent] as number; c !== NO_NODE; c = tree.nextSibling[c] as number) {
    const existing = tree.text[c] as string;
    // A length gap alone already exceeds the threshold: skip the quadratic distance.
    if (Math.abs(existing.length - text.length) / (text.length + 1) >= bestRatio) continue;
    const r = mergeRatio(text, existing);
    if (r < bestRatio) {
      best = c;
      bestRatio = r;
    }
  }
  return best;
}

export interface InsertResult {
  /** The node the rollout's last utterance landed in. */
  leaf: number;
  /** Nodes created by this rollout (merged ones are not counted). */
  created: number;
}

/**
 * Adds the rollout's new utterances (those after `from`) below `from`.
 * `speakerIndex` maps an utterance's speaker name to its agent index.
 */
export function insertRollout(
  tree: TreeStore,
  from: number,
  utterances: readonly Utterance[],
  speakerIndex: (name: string) => number,
  threshold = MERGE_THRESHOLD,
): InsertResult {
  let node = from;
  let created = 0;
  for (const u of utterances) {
    const target = mergeTarget(tree, node, u.text, threshold);
    if (target !== NO_NODE) {
      node = target;
    } else {
      node = tree.addChild(node, { speaker: speakerIndex(u.speaker), text: u.text, answer: u.answer, tokens: u.tokens });
      created++;
    }
  }
  tree.markTerminal(node);
  return { leaf: node, created };
}
