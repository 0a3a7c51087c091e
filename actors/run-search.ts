/**
 * `dits search` as a run: the token normalizer from 100 sampled dialogues, a tree per task
 * searched by the actor pool, then pairs and SFT data extracted and every output written into
 * the run folder. Outputs follow task order, so a seed fixes them byte for byte.
 */
import { join } from 'node:path';
import type { InspectionEvent } from 'xstate';
import type { Scenario } from '../scenarios/schema.ts';
import type { Task } from '../scenarios/task.ts';
import { prepareDialogue } from '../engine/dialogue.ts';
import type { PreferencePair, SftExample } from '../engine/examples.ts';
import type { PreferenceExample } from '../engine/trainer.ts';
import { writeDatasets, type TrainerFormat } from '../engine/export/index.ts';
import { JsonlWriter, RecordLogWriter, writeJsonAtomic } from '../engine/files.ts';
import { isModelRequestError, type ModelBackend } from '../engine/model.ts';
import { estimateNormalizer, NORMALIZER_DIALOGUES } from '../engine/search/normalizer.ts';
import { toPreferencePair, treePairs } from '../engine/search/pairs.ts';
import type { SearchPolicy } from '../engine/search/policy.ts';
import { DialogueScorer } from '../engine/scoring.ts';
import { isBudgetExhausted } from '../engine/budget.ts';
import { InputError } from '../scenarios/errors.ts';
import { defaultSftSelection, selectSftExamples, sftCandidate, type SftCandidate } from '../engine/sft.ts';
import { encodeTree, treeRecord } from '../engine/tree/codec.ts';
import { searchTasks, type TaskFailure, type TaskSearchResult } from './pool.ts';

export interface SearchRunOptions {
  scenario: Scenario;
  /** The model searched with. */
  backend: ModelBackend;
  /** The initial model, which scores readability (§2.1); default: `backend`. */
  initial?: ModelBackend;
  /** Called with each batch of tasks before they are searched (the simulated model indexes them). */
  prepare: (tasks: readonly Task[]) => void;
  policy: SearchPolicy;
  seed: number;
  out: string;
  concurrency: number;
  formats: readonly TrainerFormat[];
  /** Fixed token normalizer M; by default estimated from 100 sampled dialogues (§2.1). */
  normalizer?: number;
  onTaskDone?: (done: number, pairs: number) => void;
  /** A task that failed and was left out (also written to failures.jsonl). */
  onTaskFailed?: (failure: TaskFailure) => void;
  /** XState inspection of every coordinator (actors/progress.ts); only for a live display. */
  inspect?: (event: InspectionEvent) => void;
  /** Influence probe during the search, for policies that ask for it (the dits policy). */
  probe?: (pairs: PreferenceExample[]) => Promise<number>;
}

export interface SearchRunSummary {
  /** True when the Q budget stopped the search before every task was searched. */
  stoppedByBudget: boolean;
  /** Tasks searched (failed ones not counted). */
  tasks: number;
  /** Tasks whose search failed on a model request that outlasted its retries (failures.jsonl). */
  failedTasks: number;
  rollouts: number;
  nodes: number;
  pairs: number;
  sftExamples: number;
  normalizer: number;
  meanRootValue: number;
}

/** The first `n` tasks in memory, and an iterable that yields them and then the rest. */
async function peek(tasks: AsyncIterable<Task>, n: number): Promise<{ head: Task[]; all: AsyncIterable<Task> }> {
  const it = tasks[Symbol.asyncIterator]();
  const head: Task[] = [];
  let exhausted = false;
  while (head.length < n) {
    const r = await it.next();
    if (r.done) {
      exhausted = true;
      break;
    }
    head.push(r.value);
  }
  async function* all(): AsyncIterable<Task> {
    yield* head;
    if (exhausted) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  return { head, all: all() };
}

function pairRecord(p: PreferencePair) {
  return {
    task_id: p.taskId,
    node_path: p.nodePath,
    speaker: p.speaker,
    chosen_value: p.chosenValue,
    rejected_value: p.rejectedValue,
    gap: p.gap,
    prompt: p.prompt,
    chosen: p.chosen,
    rejected: p.rejected,
  };
}

export async function runSearch(tasks: AsyncIterable<Task>, opts: SearchRunOptions): Promise<SearchRunSummary> {
  const { scenario, backend, policy, seed } = opts;
  const agentNames = scenario.agents.map((a) => a.name);
  const scorer = new DialogueScorer(scenario, opts.initial ?? backend);
  const { head, all } = await peek(tasks, NORMALIZER_DIALOGUES);
  if (head.length === 0) throw new RangeError('no tasks to search: the task source is empty');
  opts.prepare(head);
  const prepared = new Set(head);
  let normalizer: number;
  try {
    normalizer = opts.normalizer ?? (await estimateNormalizer(scenario, backend, head, seed));
  } catch (e) {
    if (isBudgetExhausted(e)) throw new InputError(`the Q budget ran out while sampling the ${NORMALIZER_DIALOGUES} dialogues of the token normalizer: raise --budget-tokens`);
    throw e;
  }

  const trees = new RecordLogWriter(join(opts.out, 'trees.msgpack'));
  const pairsFile = new JsonlWriter(join(opts.out, 'pairs.jsonl'));
  const failures = new JsonlWriter(join(opts.out, 'failures.jsonl'));
  let failedTasks = 0;
  const onFailure = async (f: TaskFailure) => {
    failedTasks++;
    await failures.write({ task_id: f.task.id, error: f.error.message });
    opts.onTaskFailed?.(f);
  };
  const pairs: PreferencePair[] = [];
  const sftCandidates: SftCandidate[] = [];
  const totals = { tasks: 0, rollouts: 0, nodes: 0, rootValue: 0 };

  const onResult = async (r: TaskSearchResult) => {
    const setup = prepareDialogue(scenario, r.task, seed);
    await trees.write(encodeTree(treeRecord(r.task.id, agentNames, r.tree, r.selected)));
    for (const tp of treePairs(r.tree, scenario.reward)) {
      const pair = toPreferencePair(r.tree, tp, r.task.id, agentNames, setup.systemPrompts);
      pairs.push(pair);
      await pairsFile.write(pairRecord(pair));
    }
    const dialogues = r.rollouts.flat().map((x) => x.dialogue);
    const samples = await Promise.all(dialogues.map(async (dialogue) => ({ dialogue, scored: await scorer.score(r.task, dialogue) })));
    const candidate = sftCandidate(scorer, { task: r.task, systemPrompts: setup.systemPrompts, samples });
    if (candidate) sftCandidates.push(candidate);
    totals.tasks++;
    totals.rollouts += dialogues.length;
    totals.nodes += r.tree.size;
    totals.rootValue += r.tree.value(0);
    opts.onTaskDone?.(totals.tasks, pairs.length);
  };

  // With a Q budget, the search stops cleanly when a rollout is refused: the tasks delivered so
  // far keep their trees and pairs, the task in flight and those after it are not searched.
  let stoppedByBudget = false;
  try {
    await searchTasks(all, {
      scenario,
      backend,
      scorer,
      policy,
      seed,
      normalizer,
      concurrency: opts.concurrency,
      setupFor: (task: Task) => prepareDialogue(scenario, task, seed),
      // The first tasks were prepared for the normalizer already.
      prepare: (batch) => opts.prepare(batch.filter((t) => !prepared.has(t))),
      onResult,
      onFailure,
      isTaskFailure: isModelRequestError,
      ...(opts.inspect ? { inspect: opts.inspect } : {}),
      ...(opts.probe ? { probe: opts.probe } : {}),
    });
  } catch (e) {
    if (!isBudgetExhausted(e)) throw e;
    stoppedByBudget = true;
  }
  await trees.close();
  await pairsFile.close();
  await failures.close();

  const sft: SftExample[] = selectSftExamples(scenario, sftCandidates, defaultSftSelection(scenario));
  const datasets = await writeDatasets(join(opts.out, 'datasets'), { pairs, sft, formats: opts.formats, seed });
  const summary: SearchRunSummary = {
    stoppedByBudget,
    tasks: totals.tasks,
    failedTasks,
    rollouts: totals.rollouts,
    nodes: totals.nodes,
    pairs: pairs.length,
    sftExamples: sft.length,
    normalizer,
    meanRootValue: totals.tasks ? totals.rootValue / totals.tasks : 0,
  };
  writeJsonAtomic(join(opts.out, 'summary.json'), { ...summary, datasets });
  return summary;
}
