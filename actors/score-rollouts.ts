/**
 * The scoring step of a node (actors/node.ts) as a promise actor: scores each finished dialogue
 * and computes its search-path reward (§2.1), in rollout order. The scorer may ask the model for
 * log-likelihoods, so this is a side effect the node invokes, not a decision it takes.
 */
import { fromPromise } from 'xstate';
import type { Dialogue } from '../engine/dialogue/dialogue.ts';
import type { DialogueScorer } from '../engine/dialogue/scoring.ts';
import type { ScoredRollout } from '../engine/search/rollout.ts';
import type { Task } from '../scenarios/task.ts';

export interface ScoreInput {
  scorer: DialogueScorer;
  task: Task;
  /** Token normalizer M of the search-path reward. */
  normalizer: number;
  dialogues: readonly Dialogue[];
}

export const scoreRollouts = fromPromise<ScoredRollout[], ScoreInput>(async ({ input }) => {
  const { scorer, task, normalizer } = input;
  return Promise.all(
    input.dialogues.map(async (dialogue) => ({ dialogue, reward: scorer.reward(dialogue, await scorer.score(task, dialogue), normalizer, 'search').total })),
  );
});
