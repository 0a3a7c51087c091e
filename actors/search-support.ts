/**
 * Plain functions the search coordinator's actions (actors/search.ts) call, kept out of the
 * machine file so that it holds only decisions: the error that names the task, and the examples
 * a group of tree pairs becomes for an influence probe (§3.2).
 */
import type { PreferenceExample } from '../engine/base/trainer.ts';
import { toPreferencePair, type TreePair } from '../engine/search/pairs.ts';
import type { TreeStore } from '../engine/tree/store.ts';

/** `search of task <id> failed: <what>: <cause's message>`, with the cause attached. */
export function searchFailure(taskId: string, what: string, cause?: unknown): Error {
  const detail = cause instanceof Error ? `: ${cause.message}` : cause === undefined ? '' : `: ${String(cause)}`;
  return new Error(`search of task ${taskId} failed: ${what}${detail}`, { cause });
}

/** Each group's pairs as the preference examples a probe step trains on, in pair order. */
export function probeExamples(tree: TreeStore, groups: readonly TreePair[][], taskId: string, agentNames: readonly string[], systemPrompts: readonly string[]): PreferenceExample[][] {
  return groups.map((g) =>
    g.map((pair) => {
      const p = toPreferencePair(tree, pair, taskId, agentNames, systemPrompts);
      return { messages: p.prompt, speaker: p.speaker, chosen: p.chosen, rejected: p.rejected };
    }),
  );
}
