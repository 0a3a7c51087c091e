/**
 * A run folder as `dits run` and `dits compare` both use it: the manifest (settings and task
 * source), the task pool it names, and the RunEnv the pipeline runs in. A run folder made by
 * either command can be continued by `dits run --resume`.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { HookTrainer } from '../engine/hook/hook-trainer.ts';
import { hookRunModels } from '../engine/hook/hook-models.ts';
import type { TrainerHook } from '../engine/hook/run-hook.ts';
import { connectServer, scoringHost, type OpenAISettings } from '../engine/openai/server-backend.ts';
import type { MeterName, MeterReading } from '../engine/base/budget.ts';
import { writeJsonAtomic } from '../engine/storage/files.ts';
import { simRunModels } from '../engine/sim/sim-models.ts';
import type { RunModels } from '../engine/base/run-models.ts';
import { SimTrainer } from '../engine/sim/sim-trainer.ts';
import { createSimWorld } from '../engine/sim/world.ts';
import { InputError } from '../scenarios/errors.ts';
import type { Task } from '../scenarios/task.ts';
import type { DatasetError } from '../scenarios/datasets/errors.ts';
import { parseFieldMapping } from '../scenarios/datasets/index.ts';
import { openTaskSource, type TaskSpec } from '../engine/tasks/task-source.ts';
import { iterationReport, readProgress, restoreMeters, runPipeline, type IterationReport } from './run-pipeline.ts';
import { MANIFEST, METRICS, type RunManifest, type RunTaskSource } from './run-manifest.ts';
import { allocateTasks, DEFAULT_CONCURRENCY, iterDir, type RunConcurrency, type RunConfig, type RunEnv } from './run-stages.ts';

/** What a session of a run may change without changing its outputs: where the servers are, the cache, the hook. */
export interface RunSession {
  endpoints?: OpenAISettings['endpoints'];
  trainer?: TrainerHook;
  cache: boolean;
  apiKey?: string;
  quiet?: boolean;
  log?: (line: string) => void;
  /** Work in flight at once; no output depends on it (RunEnv.concurrency). */
  concurrency?: Partial<RunConcurrency>;
}

/** The training settings of every run, in the simulated model's units (docs/simulated-model.md). */
export const DEFAULT_TRAINING: RunConfig['training'] = {
  sftLr: 1,
  sftEpochs: 30,
  warmShare: 400 / 12_000,
  warmBatch: 8,
  dpoLr: 0.015,
  dpoEpochs: 4,
  batchSize: 64,
  probeLr: 0.2,
  probeOptimizer: 'adamw',
};


/** The tasks the run needs, in `allocateTasks` order: validation, test, then per iteration SFT and search. */
export async function taskPool(config: RunConfig, source: RunTaskSource, onBadRow: (err: DatasetError) => void = () => {}): Promise<Task[]> {
  const need = config.validationTasks + config.testTasks + config.iterations * (config.sftTasks + config.searchTasks);
  const read = async (spec: TaskSpec, seed: number) => {
    const pool: Task[] = [];
    for await (const t of openTaskSource(config.scenario, spec, seed, onBadRow).tasks) pool.push(t);
    return pool;
  };
  if (source.validation_task_seed === undefined) {
    if (source.file === undefined) return read({ kind: 'generated', count: need }, source.task_seed);
    const fromFile: TaskSpec = {
      kind: 'file',
      file: source.file,
      ...(source.format !== undefined ? { format: source.format } : {}),
      ...(source.map !== undefined ? { mapping: parseFieldMapping(source.map) } : {}),
      limit: Math.min(need, source.limit ?? need),
      ...(source.offset !== undefined ? { offset: source.offset } : {}),
      ...(source.skip_bad_rows ? { skipBadRows: true } : {}),
    };
    return read(fromFile, source.task_seed);
  }
  if (source.file !== undefined) throw new InputError('validation_task_seed applies to generated tasks only, not to a dataset file');
  const validation = await read({ kind: 'generated', count: config.validationTasks }, source.validation_task_seed);
  const rest = await read({ kind: 'generated', count: need - config.validationTasks }, source.task_seed);
  return [...validation, ...rest];
}

/**
 * The environment the pipeline runs in, with the meters restored from the folder's progress
 * record. Over a server, it first reconciles: adapters of this run still loaded (a session that
 * was killed) are unloaded, and probe folders it left are deleted.
 */
export async function createRunEnv(out: string, manifest: RunManifest, session: RunSession = { cache: true }): Promise<RunEnv> {
  const { config } = manifest;
  const pool = await taskPool(config, manifest.tasks, (err) => session.log?.(`skipped bad row: ${err.message}`));
  const common = {
    out,
    config,
    tasks: allocateTasks(pool, config),
    meters: restoreMeters(readProgress(out)),
    concurrency: { ...DEFAULT_CONCURRENCY, ...session.concurrency },
    ...(session.log ? { log: session.log } : {}),
  };
  const backend = manifest.backend ?? { kind: 'sim' };
  if (backend.kind === 'sim') {
    const world = createSimWorld(config.scenario, pool);
    return { ...common, models: simRunModels(world) as RunModels<unknown>, sim: { world, trainer: new SimTrainer(world), tasks: pool }, close: async () => {} };
  }
  const settings = { ...backend.settings, ...(session.endpoints ? { endpoints: session.endpoints } : {}) };
  const server = await connectServer(settings, config.scenario, { out, cache: session.cache, apiKey: session.apiKey, ...(session.quiet !== undefined ? { quiet: session.quiet } : {}) });
  const log = session.log ?? (() => {});
  const trainer = new HookTrainer({ host: scoringHost(server, config.scenario), hook: session.trainer ?? backend.trainer, root: resolve(out), namePrefix: backend.adapterPrefix, log });
  try {
    const unloaded = await server.unloadMatching(backend.adapterPrefix);
    if (unloaded.length > 0) log(`unloaded ${unloaded.length} adapters an earlier session left loaded: ${unloaded.join(', ')}`);
    const removed = trainer.removeLeftovers();
    if (removed.length > 0) log(`deleted ${removed.length} unfinished or probe job folders an earlier session left`);
    writeJsonAtomic(join(out, MANIFEST), { ...manifest, backend: { ...backend, server: server.info } });
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    ...common,
    models: hookRunModels(trainer, resolve(out)) as RunModels<unknown>,
    probeConcurrency: backend.probeConcurrency,
    close: async () => {
      try {
        await server.unloadAll(backend.adapterPrefix);
      } finally {
        writeJsonAtomic(join(out, 'usage.json'), server.usage());
        await server.close();
      }
    },
  };
}

/** A name prefix for a new run's adapters: short, and unlikely to meet another run's on a shared server. */
export function newAdapterPrefix(out: string, seed: number): string {
  return `dits-${createHash('sha256').update(`${resolve(out)}\n${seed}`).digest('hex').slice(0, 8)}-`;
}

/** Cumulative meter readings after iteration t (per-iteration spend is the difference). */
export function iterationMeters(env: RunEnv, t: number): Record<MeterName, MeterReading> {
  return JSON.parse(readFileSync(join(iterDir(env, t), 'meters.json'), 'utf8')) as Record<MeterName, MeterReading>;
}

/** Every iteration's report of a finished run, written to `metrics.json`. */
export function writeRunMetrics(env: RunEnv): IterationReport[] {
  const iterations = Array.from({ length: env.config.iterations }, (_, t) => iterationReport(env, t, iterationMeters(env, t)));
  writeJsonAtomic(join(env.out, METRICS), { iterations });
  return iterations;
}

/** Runs the folder `out` (its manifest written) from where it stands to its end, metrics.json included. */
export async function finishRun(out: string, manifest: RunManifest): Promise<void> {
  const env = await createRunEnv(out, manifest);
  try {
    await runPipeline(env, readProgress(out));
  } finally {
    await env.close();
  }
  writeRunMetrics(env);
}
