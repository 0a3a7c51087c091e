/**
 * What one searched task contributes to a run: its tree (as the record `trees.msgpack` holds),
 * its preference pairs, its SFT candidate and its counts - or the error that failed it. It is
 * plain data, so it can cross a thread and sit in the checkpoint log; msgpackr encodes it with
 * shared structures (records), which keeps the repeated keys of pairs and utterances out of
 * every record.
 */
import { Packr } from 'msgpackr';
import { prepareDialogue } from '../dialogue/dialogue.ts';
import type { PreferencePair } from '../base/examples.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';
import type { MeterReading } from '../base/budget.ts';
import type { DialogueScorer } from '../dialogue/scoring.ts';
import { sftCandidate, type SftCandidate } from '../dialogue/sft-selection.ts';
import type { TreeStore } from '../tree/store.ts';
import { encodeTree, treeRecord } from '../tree/codec.ts';
import { toPreferencePair, treePairs } from './pairs.ts';
import type { ScoredRollout } from './rollout.ts';

export interface SearchedTask {
  kind: 'searched';
  taskId: string;
  /** The tree's msgpack record (engine/tree/codec.ts). */
  tree: Uint8Array;
  pairs: PreferencePair[];
  candidate: SftCandidate | null;
  rollouts: number;
  nodes: number;
  rootValue: number;
  /** What the task's search spent: rollouts on the Q meter, in-search influence probes on the influence meter (a run charges its meters with it). */
  spent: TaskSpending;
}

export interface TaskSpending {
  q: MeterReading;
  influence: MeterReading;
}

export interface FailedTask {
  kind: 'failed';
  taskId: string;
  error: string;
  /** What the task spent before it failed. */
  spent: TaskSpending;
}

export type TaskOutput = SearchedTask | FailedTask;

/** A finished search, as the coordinator returns it. */
export interface FinishedSearch {
  task: Task;
  tree: TreeStore;
  selected: readonly number[];
  rollouts: ScoredRollout[][];
}

export async function searchedTask(r: FinishedSearch, ctx: { scenario: Scenario; scorer: DialogueScorer; seed: number }): Promise<Omit<SearchedTask, 'spent'>> {
  const { scenario, scorer, seed } = ctx;
  const agentNames = scenario.agents.map((a) => a.name);
  const setup = prepareDialogue(scenario, r.task, seed);
  const pairs = treePairs(r.tree, scenario.reward).map((tp) => toPreferencePair(r.tree, tp, r.task.id, agentNames, setup.systemPrompts));
  const dialogues = r.rollouts.flat().map((x) => x.dialogue);
  const samples = await Promise.all(dialogues.map(async (dialogue) => ({ dialogue, scored: await scorer.score(r.task, dialogue) })));
  const candidate = sftCandidate(scorer, { task: r.task, systemPrompts: setup.systemPrompts, samples }) ?? null;
  return {
    kind: 'searched',
    taskId: r.task.id,
    tree: encodeTree(treeRecord(r.task.id, agentNames, r.tree, r.selected)),
    pairs,
    candidate,
    rollouts: dialogues.length,
    nodes: r.tree.size,
    rootValue: r.tree.value(0),
  };
}

// One codec per thread: records mode makes each buffer self-describing, so a buffer packed in
// a worker decodes in the main thread, and one read back from a checkpoint after a restart.
const packr = new Packr({ useRecords: true });

export function encodeTaskOutput(o: TaskOutput): Uint8Array {
  return packr.pack(o);
}

export function decodeTaskOutput(bytes: Uint8Array): TaskOutput {
  return packr.unpack(bytes) as TaskOutput;
}
