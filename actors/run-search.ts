/**
 * `dits search` as a run: the token normalizer from 100 sampled dialogues, a tree per task
 * searched by the actor pool, then pairs and SFT data extracted and every output written into
 * the run folder. Outputs follow task order, so a seed fixes them byte for byte.
 */
import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import type { InspectionEvent } from 'xstate';
import type { Scenario } from '../scenarios/schema.ts';
import type { Task } from '../scenarios/task.ts';
import { prepareDialogue } from '../engine/dialogue/dialogue.ts';
import type { PreferencePair } from '../engine/base/examples.ts';
import type { PreferenceExample } from '../engine/base/trainer.ts';
import { writeDatasets, type TrainerFormat } from '../engine/export/index.ts';
import { JsonlWriter, RecordLogWriter, writeJsonAtomic } from '../engine/storage/files.ts';
import { isModelRequestError, type ModelBackend } from '../engine/base/model-backend.ts';
import { estimateNormalizer, NORMALIZER_DIALOGUES } from '../engine/search/estimate-normalizer.ts';
import { decodeTaskOutput, encodeTaskOutput, searchedTask, type FailedTask, type TaskOutput } from '../engine/search/task-output.ts';
import { readRecordLog, RecordLogAppender } from '../engine/storage/record-log.ts';
import { Spill } from '../engine/storage/spill.ts';
import type { SearchPolicy } from '../engine/search/policy.ts';
import { DialogueScorer } from '../engine/dialogue/scoring.ts';
import { isBudgetExhausted, Meter, metered, type MeterReading } from '../engine/base/budget.ts';
import { InputError } from '../scenarios/errors.ts';
import { peekTasks } from '../engine/tasks/task-source.ts';
import { defaultSftSelection, selectedSftSource, speakingAgents, type SftCandidate } from '../engine/dialogue/sft-selection.ts';
import { writeSearchReport } from '../engine/report/html/search-page.ts';
import { searchTasks, type TaskFailure, type TaskSearchResult } from './coordinator-pool.ts';

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
  /** Called before a resumed search replays the `tasks` its checkpoint holds (onTaskDone then hears each of them). */
  onResume?: (tasks: number) => void;
  /** A task that failed and was left out (also written to failures.jsonl). */
  onTaskFailed?: (failure: FailedTask) => void;
  /** Continue from the checkpoint in `out` (same settings), instead of refusing a folder that holds one. */
  resume?: boolean;
  /** Describes the task source, so that a checkpoint is continued on the same tasks only. */
  fingerprint?: unknown;
  /** Searches the tasks elsewhere (worker threads); by default in this thread. */
  searcher?: TaskSearcher;
  /** Stops the search; the checkpoint keeps every task finished so far. */
  signal?: AbortSignal;
  /** Notices for the user (a damaged checkpoint record). */
  log?: (line: string) => void;
  /** XState inspection of every coordinator (actors/progress.ts); only for a live display. */
  inspect?: (event: InspectionEvent) => void;
  /** Influence probe during the search, for policies that ask for it (the dits policy); it charges `meter` with its validation dialogues. */
  probe?: (pairs: PreferenceExample[], meter: Meter) => Promise<number>;
  /**
   * A run's meters, charged with what each task spent when its output is taken - a task replayed
   * from the checkpoint too - and with the normalizer's dialogues, so a resumed search ends with
   * the readings of an unbroken one. `backend` and `probe` charge no meter of the run themselves then.
   */
  meters?: SearchMeters;
  /** Write report.html (default true); a run's search stage leaves its trees to the run's own report. */
  report?: boolean;
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

export interface SearchMeters {
  q: Meter;
  influence: Meter;
}

/** Where a search keeps its finished tasks until it completes: `dits search --resume` continues from it. */
export const CHECKPOINT = 'search.ckpt';

/** Searches tasks and hands each one's output over in task order. */
export type TaskSearcher = (tasks: AsyncIterable<Task>, ctx: SearcherContext) => Promise<void>;

export interface SearcherContext {
  normalizer: number;
  /** Awaited before the next task's output is handed over; `bytes`, when given, is `o` encoded already (it goes to the checkpoint as is). */
  onOutput: (o: TaskOutput, bytes?: Uint8Array) => Promise<void>;
  signal?: AbortSignal;
}

/** The search in this thread: the coordinator pool of actors/coordinator-pool.ts. Each task samples and probes through meters of its own, whose readings go with its output. */
export function inThreadSearcher(opts: SearchRunOptions, scorer: DialogueScorer, prepared: Set<Task>): TaskSearcher {
  const { scenario, backend, policy, seed, probe } = opts;
  return async (tasks, ctx) => {
    const meters = new Map<Task, SearchMeters>();
    const spent = (task: Task) => {
      const m = meters.get(task) as SearchMeters;
      meters.delete(task);
      return { q: m.q.reading(), influence: m.influence.reading() };
    };
    await searchTasks(tasks, {
      scenario,
      backend,
      scorer,
      policy,
      seed,
      normalizer: ctx.normalizer,
      concurrency: opts.concurrency,
      setupFor: (task: Task) => prepareDialogue(scenario, task, seed),
      perTask: (task: Task) => {
        const m = { q: new Meter(), influence: new Meter() };
        meters.set(task, m);
        return { backend: metered(backend, m.q), ...(probe ? { probe: (pairs: PreferenceExample[]) => probe(pairs, m.influence) } : {}) };
      },
      // The first tasks were prepared for the normalizer already.
      prepare: (batch) => opts.prepare(batch.filter((t) => !prepared.has(t))),
      onResult: async (r: TaskSearchResult) => ctx.onOutput({ ...(await searchedTask(r, { scenario, scorer, seed })), spent: spent(r.task) }),
      onFailure: (f: TaskFailure) => ctx.onOutput({ kind: 'failed', taskId: f.task.id, error: f.error.message, spent: spent(f.task) }),
      isTaskFailure: isModelRequestError,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(opts.inspect ? { inspect: opts.inspect } : {}),
    });
  };
}

interface CheckpointHeader {
  format: 'dits-search-checkpoint';
  version: 2;
  fingerprint: string;
  normalizer: number;
  /** What the normalizer's dialogues spent (a resumed run's Q meter is charged with it again). */
  normalizerSpent: MeterReading;
}

const headerPackr = new Packr();

/** What must be equal for a checkpoint to be continued: every setting that decides the outputs. */
function fingerprint(opts: SearchRunOptions): string {
  const { scenario, policy, seed } = opts;
  const settings = {
    scenario,
    policy: { name: policy.name, selections: policy.selections, rollouts: policy.rollouts, temperature: policy.temperature, params: policy.params },
    seed,
    normalizer: opts.normalizer ?? null,
    formats: opts.formats,
    source: opts.fingerprint ?? null,
  };
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex');
}

/** The checkpoint's finished tasks when resuming (a cut-short last record is reported and dropped). */
function openCheckpoint(opts: SearchRunOptions): { header: CheckpointHeader | undefined; outputs: Uint8Array[]; goodBytes: number } {
  const file = join(opts.out, CHECKPOINT);
  if (!opts.resume) {
    if (existsSync(file)) throw new InputError(`${opts.out} holds an unfinished search (${CHECKPOINT}): continue it with --resume, or choose another --out`);
    return { header: undefined, outputs: [], goodBytes: 0 };
  }
  const log = readRecordLog(file);
  if (log.problem) {
    opts.log?.(
      `${file}: record ${log.problem.record} at byte ${log.problem.offset} is ${log.problem.kind === 'truncated' ? 'cut short (a crash while writing it)' : 'corrupted (checksum mismatch)'}; ` +
        `resuming from the ${Math.max(0, log.records.length - 1)} whole task records before it`,
    );
  }
  if (log.records.length === 0) return { header: undefined, outputs: [], goodBytes: 0 };
  const header = headerPackr.unpack(log.records[0] as Uint8Array) as CheckpointHeader;
  if (header.format !== 'dits-search-checkpoint') throw new InputError(`${file}: not a dits search checkpoint`);
  if (header.version !== 2) throw new InputError(`${file} was written by another version of dits: delete it and search again, or choose another --out`);
  if (header.fingerprint !== fingerprint(opts)) {
    throw new InputError(`${file} was written by a search with other settings (scenario, policy, seed, tasks or formats): give the same flags as the interrupted search, or choose another --out`);
  }
  opts.log?.(`${file}: continuing after the ${log.records.length - 1} tasks it holds`);
  return { header, outputs: log.records.slice(1), goodBytes: log.goodBytes };
}

async function* skip(tasks: AsyncIterable<Task>, n: number): AsyncIterable<Task> {
  let k = 0;
  for await (const t of tasks) if (k++ >= n) yield t;
}

export async function runSearch(tasks: AsyncIterable<Task>, opts: SearchRunOptions): Promise<SearchRunSummary> {
  const { scenario, backend, seed } = opts;
  const scorer = new DialogueScorer(scenario, opts.initial ?? backend);
  const resumed = openCheckpoint(opts);
  let source = tasks;
  let normalizer: number;
  const normalizerMeter = new Meter();
  const prepared = new Set<Task>();
  if (resumed.header) {
    normalizer = resumed.header.normalizer;
    normalizerMeter.charge(resumed.header.normalizerSpent);
    source = skip(tasks, resumed.outputs.length);
  } else {
    const { head, all } = await peekTasks(tasks, NORMALIZER_DIALOGUES);
    if (head.length === 0) throw new RangeError('no tasks to search: the task source is empty');
    opts.prepare(head);
    for (const t of head) prepared.add(t);
    source = all;
    try {
      normalizer = opts.normalizer ?? (await estimateNormalizer(scenario, metered(backend, normalizerMeter), head, seed));
    } catch (e) {
      if (isBudgetExhausted(e)) throw new InputError(`the Q budget ran out while sampling the ${NORMALIZER_DIALOGUES} dialogues of the token normalizer: raise --budget-tokens`);
      throw e;
    }
  }
  opts.meters?.q.charge(normalizerMeter.reading());
  const checkpoint = new RecordLogAppender(join(opts.out, CHECKPOINT), resumed.goodBytes);
  if (!resumed.header) {
    const header: CheckpointHeader = { format: 'dits-search-checkpoint', version: 2, fingerprint: fingerprint(opts), normalizer, normalizerSpent: normalizerMeter.reading() };
    checkpoint.append(headerPackr.pack(header));
  }

  const trees = new RecordLogWriter(join(opts.out, 'trees.msgpack'));
  const pairsFile = new JsonlWriter(join(opts.out, 'pairs.jsonl'));
  const failures = new JsonlWriter(join(opts.out, 'failures.jsonl'));
  // Pairs and SFT candidates wait on disk for the export: they are what grows with the task count.
  const pairs = new Spill<PreferencePair>(join(opts.out, '.pairs.spill'));
  const sftCandidates = new Spill<SftCandidate>(join(opts.out, '.sft.spill'));
  const sftRewards: number[] = [];
  const sftSpeakers: number[][] = [];
  const disposeSpills = () => {
    pairs.dispose();
    sftCandidates.dispose();
  };
  const totals = { tasks: 0, failed: 0, rollouts: 0, nodes: 0, rootValue: 0 };

  const take = async (o: TaskOutput) => {
    if (opts.meters) {
      opts.meters.q.charge(o.spent.q);
      opts.meters.influence.charge(o.spent.influence);
    }
    if (o.kind === 'failed') {
      totals.failed++;
      await failures.write({ task_id: o.taskId, error: o.error });
      opts.onTaskFailed?.(o);
      return;
    }
    await trees.write(o.tree);
    for (const pair of o.pairs) {
      pairs.push(pair);
      await pairsFile.write(pairRecord(pair));
    }
    if (o.candidate) {
      sftCandidates.push(o.candidate);
      sftRewards.push(o.candidate.reward);
      sftSpeakers.push(speakingAgents(scenario, o.candidate.dialogue));
    }
    totals.tasks++;
    totals.rollouts += o.rollouts;
    totals.nodes += o.nodes;
    totals.rootValue += o.rootValue;
    opts.onTaskDone?.(totals.tasks, pairs.length);
  };
  if (resumed.header) opts.onResume?.(resumed.outputs.length);
  for (const bytes of resumed.outputs) await take(decodeTaskOutput(bytes));

  // With a Q budget, the search stops cleanly when a rollout is refused: the tasks delivered so
  // far keep their trees and pairs, the task in flight and those after it are not searched.
  let stoppedByBudget = false;
  const searcher = opts.searcher ?? inThreadSearcher(opts, scorer, prepared);
  try {
    await searcher(source, {
      normalizer,
      onOutput: async (o, bytes) => {
        checkpoint.append(bytes ?? encodeTaskOutput(o));
        await take(o);
      },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (e) {
    if (!isBudgetExhausted(e)) {
      checkpoint.close();
      disposeSpills();
      throw e;
    }
    stoppedByBudget = true;
  }
  checkpoint.close();
  await trees.close();
  await pairsFile.close();
  await failures.close();

  const sft = selectedSftSource(scenario, sftCandidates, sftRewards, sftSpeakers, defaultSftSelection(scenario));
  const datasets = await writeDatasets(join(opts.out, 'datasets'), { pairs, sft, formats: opts.formats, seed }).finally(disposeSpills);
  const summary: SearchRunSummary = {
    stoppedByBudget,
    tasks: totals.tasks,
    failedTasks: totals.failed,
    rollouts: totals.rollouts,
    nodes: totals.nodes,
    pairs: pairs.length,
    sftExamples: sft.length,
    normalizer,
    meanRootValue: totals.tasks ? totals.rootValue / totals.tasks : 0,
  };
  writeJsonAtomic(join(opts.out, 'summary.json'), { ...summary, datasets });
  if (opts.report !== false) await writeSearchReport(opts.out, { scenario: scenario.name, policy: opts.policy, seed, summary, datasets });
  // Every output is whole on disk: the checkpoint has done its job.
  rmSync(join(opts.out, CHECKPOINT), { force: true });
  return summary;
}
