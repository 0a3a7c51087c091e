/**
 * Searching one task on the simulated model, the way every worker does it - a worker thread
 * (search-worker.ts) or a queue worker (queue-worker.ts): it returns the task's output
 * (engine/search/task-output.ts) as msgpack bytes. Everything a task's search depends on -
 * scenario, policy, seed, model parameters, normalizer - comes from the spec and the job, so a
 * task's output is the same in any worker, at any thread count, on any machine.
 */
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

export interface SearchJob {
  task: Task;
  normalizer: number;
  /** The task's position in the stream. */
  ordinal: number;
  /** Earlier tasks with the same question: the main thread's model would resolve to the earliest. */
  earlier: { task: Task; ordinal: number }[];
}

/** Searches jobs of one spec; the model, its task index and the policy are built once, for every job. */
export function searchRunner(spec: WorkerSearchSpec): (job: SearchJob) => Promise<Uint8Array> {
  const world = createSimWorld(spec.scenario, spec.worldTasks ?? []);
  /** Stream positions of the tasks this world holds (when it learns them job by job). */
  const known = new Set<number>();
  const params = spec.model ? parseParams(spec.model) : defaultParams();
  const model = new SimBackend(world, params);
  const scorer = new DialogueScorer(spec.scenario, new SimBackend(world));
  const trainer = new SimTrainer(world);
  let policy: Promise<SearchPolicy> | undefined;

  /** Teaches the world the job's task and its earlier namesakes, with their stream positions. */
  const learn = (job: SearchJob): void => {
    if (spec.worldTasks) return;
    const fresh = [...job.earlier, { task: job.task, ordinal: job.ordinal }].filter((t) => !known.has(t.ordinal));
    for (const t of fresh) known.add(t.ordinal);
    world.addTasks(
      fresh.map((t) => t.task),
      fresh.map((t) => t.ordinal),
    );
  };

  /** F_g of a group during the search (§3.2), charged to `meter`: as the run's main thread probes, from the search's model. */
  const searchProbe = (probe: NonNullable<WorkerSearchSpec['probe']>, meter: Meter) => {
    const validation = { scenario: spec.scenario, tasks: probe.validation.tasks, seed: probe.validation.seed };
    return (pairs: PreferenceExample[]) => probeMetric(trainer, { from: params, ref: params }, pairs, { step: probe.step, validation, meter });
  };

  return async (job) => {
    policy ??= loadSpecPolicy(spec);
    learn(job);
    // Spending is counted per task, so the main thread's meters end where one thread's would.
    const meter = new Meter();
    const influence = new Meter();
    const result = await searchTask({
      task: job.task,
      setup: prepareDialogue(spec.scenario, job.task, spec.seed),
      scenario: spec.scenario,
      backend: metered(model, meter),
      scorer,
      policy: await policy,
      seed: spec.seed,
      normalizer: job.normalizer,
      ...(spec.probe ? { probe: searchProbe(spec.probe, influence) } : {}),
    });
    const output = await searchedTask(result, { scenario: spec.scenario, scorer, seed: spec.seed });
    return encodeTaskOutput({ ...output, spent: { q: meter.reading(), influence: influence.reading() } });
  };
}

/** The spec's policy; a policy file may be TypeScript, which a JavaScript bundle can only import with tsx's loader. */
async function loadSpecPolicy(spec: WorkerSearchSpec): Promise<SearchPolicy> {
  if (!(spec.policy.source in BUILTIN_POLICIES)) await loadTypeScript();
  return loadPolicy(spec.policy.source, spec.policy.params);
}
