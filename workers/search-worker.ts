/**
 * A search worker: searches one task at a time on the simulated model and returns the task's
 * output (engine/search/task-output.ts) as msgpack bytes, moved, not copied, to the main thread.
 * Everything a task's search depends on - scenario, policy, seed, model parameters, normalizer -
 * comes from the pool, so a task's output is the same in any worker and at any thread count.
 */
import { Piscina } from 'piscina';
import { workerData } from 'node:worker_threads';
import { prepareDialogue } from '../engine/dialogue/dialogue.ts';
import { Meter, metered } from '../engine/base/budget.ts';
import { DialogueScorer } from '../engine/dialogue/scoring.ts';
import { BUILTIN_POLICIES, loadPolicy, loadTypeScript } from '../engine/search/policies/index.ts';
import type { SearchPolicy } from '../engine/search/policy.ts';
import { encodeTaskOutput, searchedTask } from '../engine/search/task-output.ts';
import { SimBackend } from '../engine/sim/backend.ts';
import { defaultParams, parseParams } from '../engine/sim/params.ts';
import { createSimWorld } from '../engine/sim/world.ts';
import { SimTrainer } from '../engine/sim/sim-trainer.ts';
import { probeMetric } from '../engine/influence/probe.ts';
import type { PreferenceExample } from '../engine/base/trainer.ts';
import type { Task } from '../scenarios/task.ts';
import { searchTask } from '../actors/search.ts';
import type { WorkerSearchSpec } from '../engine/search/worker-spec.ts';
import { crossable } from './input-errors.ts';

const spec = workerData as WorkerSearchSpec;
const world = createSimWorld(spec.scenario, spec.worldTasks ?? []);
/** Stream positions of the tasks this worker's world holds (when it learns them job by job). */
const known = new Set<number>();
const params = spec.model ? parseParams(spec.model) : defaultParams();
const model = new SimBackend(world, params);
const scorer = new DialogueScorer(spec.scenario, new SimBackend(world));
const trainer = new SimTrainer(world);
let policy: Promise<SearchPolicy> | undefined;

export interface SearchJob {
  task: Task;
  normalizer: number;
  /** The task's position in the stream. */
  ordinal: number;
  /** Earlier tasks with the same question: the main thread's model would resolve to the earliest. */
  earlier: { task: Task; ordinal: number }[];
}

/** Teaches the world the job's task and its earlier namesakes, with their stream positions. */
function learn(job: SearchJob): void {
  if (spec.worldTasks) return;
  const fresh = [...job.earlier, { task: job.task, ordinal: job.ordinal }].filter((t) => !known.has(t.ordinal));
  for (const t of fresh) known.add(t.ordinal);
  world.addTasks(
    fresh.map((t) => t.task),
    fresh.map((t) => t.ordinal),
  );
}

/** The spec's policy; a policy file may be TypeScript, which this JavaScript bundle can only import with tsx's loader. */
async function loadSpecPolicy(): Promise<SearchPolicy> {
  if (!(spec.policy.source in BUILTIN_POLICIES)) await loadTypeScript();
  return loadPolicy(spec.policy.source, spec.policy.params);
}

/** F_g of a group during the search (§3.2), charged to `meter`: as the run's main thread probes, from the search's model. */
function searchProbe(probe: NonNullable<WorkerSearchSpec['probe']>, meter: Meter): (pairs: PreferenceExample[]) => Promise<number> {
  const validation = { scenario: spec.scenario, tasks: probe.validation.tasks, seed: probe.validation.seed };
  return (pairs) => probeMetric(trainer, { from: params, ref: params }, pairs, { step: probe.step, validation, meter });
}

export default async function search(job: SearchJob): Promise<unknown> {
  try {
    return await searchJob(job);
  } catch (e) {
    throw crossable(e);
  }
}

async function searchJob(job: SearchJob): Promise<unknown> {
  policy ??= loadSpecPolicy();
  const { task, normalizer } = job;
  learn(job);
  // Spending is counted per task, so the main thread's meters end where one thread's would.
  const meter = new Meter();
  const influence = new Meter();
  const result = await searchTask({
    task,
    setup: prepareDialogue(spec.scenario, task, spec.seed),
    scenario: spec.scenario,
    backend: metered(model, meter),
    scorer,
    policy: await policy,
    seed: spec.seed,
    normalizer,
    ...(spec.probe ? { probe: searchProbe(spec.probe, influence) } : {}),
  });
  const output = await searchedTask(result, { scenario: spec.scenario, scorer, seed: spec.seed });
  const packed = encodeTaskOutput({ ...output, spent: { q: meter.reading(), influence: influence.reading() } });
  // The packer reuses its buffer: move a copy of just these bytes.
  const bytes = new Uint8Array(packed.length);
  bytes.set(packed);
  return Piscina.move(bytes);
}
