/**
 * The stages of one DITS iteration (§3.4), each a function from the
 * run folder's earlier outputs to its own outputs, written before it returns: SFT data with the
 * previous model, SFT from the base, search with the SFT model, warm start, probes, selection,
 * DPO from the SFT model (once per DPO seed), evaluation. A stage reads everything it needs from
 * files, so a resumed run continues exactly where an unbroken one would be.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../scenarios/schema.ts';
import { InputError } from '../scenarios/errors.ts';
import type { RunSizes } from '../engine/base/run-sizes.ts';
import type { Task } from '../scenarios/task.ts';
import pLimit from 'p-limit';
import { ERROR, LARGE, prepareDialogue, runDialogue } from '../engine/dialogue/dialogue.ts';
import type { SftExample } from '../engine/base/examples.ts';
import { JsonlWriter, writeJsonAtomic } from '../engine/storage/files.ts';
import { splitTrainTest } from '../engine/export/split.ts';
import { DPO_TEST_FRACTION } from '../engine/export/index.ts';
import { pairStats, zeroGradientPairs, type PairStats } from '../engine/influence/pair-stats.ts';
import { probeGroups, type ProbeGroup } from '../engine/influence/groups.ts';
import { probeMetric, runProbes, type ProbeRun } from '../engine/influence/probe.ts';
import { firstOrderInfluence, validationSurrogate } from '../engine/influence/first-order.ts';
import { spearman } from '../engine/influence/correlation.ts';
import { selectPairs, type SelectionMode } from '../engine/influence/selection.ts';
import { capped, metered, Meter, type MeterName, type MeterReading } from '../engine/base/budget.ts';
import type { ModelBackend } from '../engine/base/model-backend.ts';
import { DialogueScorer } from '../engine/dialogue/scoring.ts';
import { loadPolicyRef, type PolicyRef } from '../engine/search/policy-ref.ts';
import { defaultSftSelection, selectSftExamples, sftCandidate, type SftCandidate } from '../engine/dialogue/sft-selection.ts';
import { asSimParams, serializeParams, type SimParams } from '../engine/sim/params.ts';
import type { RunModels } from '../engine/base/run-models.ts';
import { SimTrainer } from '../engine/sim/sim-trainer.ts';
import type { SimWorld } from '../engine/sim/world.ts';
import type { DpoOptions, PreferenceExample, ProbeStepOptions, SftTarget, Trainer } from '../engine/base/trainer.ts';
import { expectedMetric } from '../engine/sim/expected.ts';
import type { EvalResult, ExpectedResult, ModelScore } from '../engine/base/eval-result.ts';
import { keyedSeed } from '../engine/base/rng.ts';
import { mean } from '../engine/report/stats.ts';
import { scoreAnswer } from '../scenarios/metrics/index.ts';
import { CHECKPOINT, runSearch, type TaskSearcher } from './run-search.ts';
import type { WorkerSearchSpec } from '../engine/search/worker-spec.ts';
import type { WorkerProbeSpec } from '../engine/influence/probe-spec.ts';
import { withPlantedPairs, writePlantedCounts, writePlantedPairs } from './plant.ts';
import type { PoolQ } from '../engine/influence/plant.ts';

export const STAGES = ['sft-data', 'sft', 'search', 'warm', 'probes', 'select', 'dpo', 'eval'] as const;
export type Stage = (typeof STAGES)[number];

/** What each stage is called on screen. */
export const STAGE_LABELS: Record<Stage, string> = {
  'sft-data': 'sft sampling',
  sft: 'sft training',
  search: 'search',
  warm: 'warm start',
  probes: 'probes',
  select: 'selection',
  dpo: 'dpo training',
  eval: 'eval',
};

/** `done` of `total` items of the stage at work; the first `resumed` were restored from a checkpoint, not worked now. */
export interface StageCount {
  done: number;
  total: number;
  resumed?: number;
}

/** Everything a run is configured with; written to the manifest and read back on resume. */
export interface RunConfig extends RunSizes {
  scenario: Scenario;
  seed: number;
  selection: { mode: SelectionMode; alpha: number; gamma: number };
  /**
   * The search policy: Optima's (the released pipeline: influence acts only at selection) or
   * dits (influence also steers expansion, probed during the search), or any policy by ref (a
   * built-in with parameters, or a file with its hash). Absent in older manifests: optima.
   */
  searchPolicy?: 'optima' | 'dits' | PolicyRef;
  /**
   * Per-iteration token budget of Q estimation plus influence estimation and its split (§4):
   * the search may spend tokens x (1 - influenceShare), the probes tokens x influenceShare; each
   * stops cleanly, never past its share.
   */
  budget?: { tokens: number; influenceShare: number };
  /** Known-harmful and known-helpful pairs added to each iteration's candidate pool (actors/plant.ts); absent: none. */
  plant?: { harmful: number; helpful: number };
  /**
   * How many times the final DPO is trained, each with its own batch order; the first is M_t,
   * the others are measured only. A run's test metric depends on the batch order, so one
   * DPO seed cannot tell a selection's effect from that noise. Absent in older manifests: 1.
   */
  dpoSeeds?: number;
  /**
   * In-process runs: also score every model by its exact expected test metric when sampling at
   * this temperature (engine/sim/expected.ts), which no finite set of greedy dialogues gives.
   */
  expectedMetric?: { temperature: number; tasks?: number };
  /** Learning rates and steps in the simulated model's units (docs/simulated-model.md). */
  training: TrainingConfig;
}

/**
 * How each model of an iteration is trained (§3.2, §3.4), rates in the simulated model's units:
 * - SFT: `sftEpochs` full-batch steps at `sftLr`, from the base;
 * - the warm start: DPO on `warmShare` of the candidate pool (the reference's checkpoint-50 sees
 *   400 pairs of a pool of about 12,000) in batches of `warmBatch` at the probes' rate
 *   (`probeLr`), cosine with warm-up 0.01;
 * - each probe: one `probeOptimizer` step at `probeLr`;
 * - the final DPO: `dpoEpochs` passes over the selected pairs in batches of `batchSize` (the
 *   reference's effective 64) at a peak of `dpoLr`, cosine with warm-up 0.1.
 */
export interface TrainingConfig {
  sftLr: number;
  sftEpochs: number;
  warmShare: number;
  warmBatch: number;
  dpoLr: number;
  dpoEpochs: number;
  batchSize: number;
  probeLr: number;
  probeOptimizer: 'adamw' | 'sgd';
}

/** Optimizer steps of a DPO over `pairs` pairs: `epochs` passes in batches of `batch`. */
export const dpoSteps = (pairs: number, batch: number, epochs: number) => epochs * Math.ceil(pairs / batch);

/** §2.2: SFT data is sampled at T = 0.3 at iteration 0 (from the base) and 0.7 later. */
export const sftTemperature = (t: number) => (t === 0 ? 0.3 : 0.7);

export interface RunTasks {
  validation: Task[];
  test: Task[];
  sft: (iteration: number) => Task[];
  search: (iteration: number) => Task[];
}

/** One slice of a task pool: validation first, then test, then each iteration's SFT and search tasks. */
export function allocateTasks(pool: readonly Task[], c: RunConfig): RunTasks {
  const need = c.validationTasks + c.testTasks + c.iterations * (c.sftTasks + c.searchTasks);
  if (pool.length < need) {
    throw new InputError(
      `the run needs validation + test + iterations × (sft + search) = ${c.validationTasks} + ${c.testTasks} + ${c.iterations} × (${c.sftTasks} + ${c.searchTasks}) = ${need} tasks, ` +
        `the task source has ${pool.length}: lower --validation, --test-tasks, --iterations, --sft-tasks or --search-tasks, or give a larger --tasks file`,
    );
  }
  const at = (from: number, n: number) => pool.slice(from, from + n);
  const base = c.validationTasks + c.testTasks;
  const per = c.sftTasks + c.searchTasks;
  return {
    validation: at(0, c.validationTasks),
    test: at(c.validationTasks, c.testTasks),
    sft: (t) => at(base + t * per, c.sftTasks),
    search: (t) => at(base + t * per + c.sftTasks, c.searchTasks),
  };
}

/** Starts worker threads for the search and the probes; `meter` is charged with their sampling. */
export interface RunWorkers {
  /** Threads for a stage of `items` search tasks or probes; 1 keeps the stage in the main thread. */
  threads(work: 'search' | 'probes', items: number): number;
  search(spec: WorkerSearchSpec, threads: number): { searcher: TaskSearcher; close(): Promise<void> };
  probes(spec: WorkerProbeSpec, threads: number, meter: Meter): { probe(pairs: readonly PreferenceExample[]): Promise<number>; close(): Promise<void> };
}

/**
 * Work in flight at once in the main thread. Outputs never depend on it (every dialogue is keyed
 * by its task and sample, results are kept in task order); it decides how busy a server is kept.
 * Against an inference server, requests in flight are about search × the node's samples and
 * sft × --sft-samples, bounded by --max-in-flight per endpoint.
 */
export interface RunConcurrency {
  /** Tasks searched at once. */
  search: number;
  /** Tasks whose SFT samples are drawn at once. */
  sft: number;
}

export const DEFAULT_CONCURRENCY: RunConcurrency = { search: 16, sft: 16 };

export interface RunEnv {
  out: string;
  config: RunConfig;
  tasks: RunTasks;
  /** The base model, the trainer, and how model states are kept in the folder. */
  models: RunModels<unknown>;
  /** In-process runs only: the simulated model (and the tasks it knows, in order), for the analyses that need its exact gradients and for search workers. */
  sim?: { world: SimWorld; trainer: SimTrainer; tasks: readonly Task[] };
  /** Search in worker threads (in-process runs without a budget or in-search probes); the CLI provides them. */
  workers?: RunWorkers;
  /** Probes at once (default: all); an inference server may want fewer adapters loaded at a time. */
  probeConcurrency?: number;
  concurrency: RunConcurrency;
  meters: Record<MeterName, Meter>;
  /** Frees what the run holds (a server's connections and loaded adapters). */
  close(): Promise<void>;
  /** Notices for the user (a search stage continued from its checkpoint). */
  log?: (line: string) => void;
  /**
   * Hears the count of the stage at work, for a live display: SFT sampling's tasks, the search's
   * tasks, the probes, the DPO seeds, the eval's test dialogues. Display only: no output depends on it.
   */
  progress?: (c: StageCount) => void;
}

export const iterDir = (env: RunEnv, t: number) => join(env.out, `iter-${t}`);

const readJsonl = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** A model state the iteration kept: `sft`, `warm`, `model` (the DPO model M_t) or another DPO seed's `model-k`. */
type ModelName = 'sft' | 'warm' | 'model' | `model-${number}`;

const dpoSeedsOf = (config: RunConfig) => config.dpoSeeds ?? 1;

/** The batch-order seed of DPO seed k: k = 0 keeps the seed of runs made before there were several. */
const dpoSeed = (seed: number, t: number, k: number) => (k === 0 ? seed + t : keyedSeed(seed, t, 'dpo-order', k));

/** The state of DPO seed k: `model` (M_t) for k = 0, then `model-1`, `model-2`, ... */
const dpoModelName = (k: number): ModelName => (k === 0 ? 'model' : `model-${k}`);

const saved = (env: RunEnv, t: number, name: ModelName) => env.models.load(join(iterDir(env, t), name));
const keep = (env: RunEnv, t: number, name: ModelName, handle: unknown) => env.models.save(join(iterDir(env, t), name), handle);

/** The model an iteration starts from: the previous iteration's DPO model, the base at t = 0. */
function previousModel(env: RunEnv, t: number): unknown {
  return t === 0 ? env.models.base : saved(env, t - 1, 'model');
}

/** Per iteration, the token budget of the Q and influence meters (§4), when the run has one. */
function iterationCap(env: RunEnv, meter: MeterName, t: number): number | undefined {
  const budget = env.config.budget;
  if (!budget || (meter !== 'q' && meter !== 'influence')) return undefined;
  const share = meter === 'influence' ? budget.influenceShare : 1 - budget.influenceShare;
  // Meters are cumulative over the run; this iteration may spend its share on top of what the
  // earlier iterations spent (their last readings are on disk, so a resumed run agrees).
  const before = t === 0 ? 0 : (JSON.parse(readFileSync(join(iterDir(env, t - 1), 'meters.json'), 'utf8')) as Record<MeterName, MeterReading>)[meter].tokens;
  return before + budget.tokens * share;
}

/** `model` charged to a meter, and refused past the meter's budget when the run has one. */
function meteredFor(env: RunEnv, model: ModelBackend, meter: MeterName, t: number): ModelBackend {
  const cap = iterationCap(env, meter, t);
  return cap === undefined ? metered(model, env.meters[meter]) : capped(model, env.meters[meter], cap);
}

function backend(env: RunEnv, handle: unknown, meter: MeterName, t: number): ModelBackend {
  return meteredFor(env, env.models.trainer.backendFor(handle), meter, t);
}

/** The initial model, unmetered: it scores readability (§2.1). */
const initialModel = (env: RunEnv) => env.models.trainer.backendFor(env.models.base);

/** §2.2: N samples per task with the previous model (T = 0.3 at iteration 0, else 0.7), the best per task, ranked and filtered. */
async function sftData(env: RunEnv, t: number): Promise<void> {
  const { scenario, seed, sftSamples } = env.config;
  const model = backend(env, previousModel(env, t), 'sft', t);
  const scorer = new DialogueScorer(scenario, initialModel(env));
  const tasks = env.tasks.sft(t);
  let done = 0;
  env.progress?.({ done, total: tasks.length });
  const sampleTask = async (task: Task): Promise<SftCandidate | undefined> => {
    const setup = prepareDialogue(scenario, task, seed);
    const samples = await Promise.all(
      Array.from({ length: sftSamples }, async (_, k) => {
        const dialogue = await runDialogue(setup, model, { seedKey: [seed, task.id, 'sft', t, k], temperature: sftTemperature(t), mode: 'generate' });
        return { dialogue, scored: await scorer.score(task, dialogue) };
      }),
    );
    const c = sftCandidate(scorer, { task, systemPrompts: setup.systemPrompts, samples });
    env.progress?.({ done: ++done, total: tasks.length });
    return c;
  };
  const limit = pLimit(env.concurrency.sft);
  const candidates = (await Promise.all(tasks.map((task) => limit(() => sampleTask(task))))).filter((c) => c !== undefined);
  const examples = selectSftExamples(scenario, candidates, defaultSftSelection(scenario));
  const w = new JsonlWriter(join(iterDir(env, t), 'sft-data.jsonl'));
  for (const e of examples) await w.write(e);
  await w.close();
}

/** An SFT example's trained turns as targets: each utterance after the messages before it. */
export function sftTargets(e: SftExample): SftTarget[] {
  return e.messages.flatMap((m, i) => (e.trained[i] ? [{ messages: e.messages.slice(0, i), speaker: e.agent, text: m.content }] : []));
}

/** §3.4 step 1: SFT always from the base model. */
async function sft(env: RunEnv, t: number): Promise<void> {
  const examples = readJsonl(join(iterDir(env, t), 'sft-data.jsonl')) as SftExample[];
  const { sftLr, sftEpochs } = env.config.training;
  keep(env, t, 'sft', await env.models.trainer.sft(env.models.base, examples.flatMap(sftTargets), { lr: sftLr, epochs: sftEpochs }));
}

/** The one optimizer step of every probe (§3.2 step 3), in the search and in the probes stage. */
function probeStepOptions(env: RunEnv): ProbeStepOptions {
  const { training, scenario } = env.config;
  return { optimizer: training.probeOptimizer, lr: training.probeLr, beta: scenario.reward.dpoBeta };
}

/**
 * F_g during the search, for the dits policy: one probe step from the SFT model (the search's
 * model; no warm state exists yet at this stage) and the greedy validation metric, charged to
 * `meter` (runSearch charges the influence meter with it).
 */
function searchProbe(env: RunEnv, sftModel: unknown): (pairs: PreferenceExample[], meter: Meter) => Promise<number> {
  const { scenario, seed } = env.config;
  const validation = { scenario, tasks: env.tasks.validation, seed };
  return (pairs, meter) => probeMetric(env.models.trainer, { from: sftModel, ref: sftModel }, pairs, { step: probeStepOptions(env), validation, meter });
}

/** The run's search policy as a ref: the dits policy probes in groups of the run's group size. */
export function searchPolicyRef(config: Pick<RunConfig, 'searchPolicy' | 'groupSize'>): PolicyRef {
  const p = config.searchPolicy ?? 'optima';
  if (p === 'dits') return { source: 'dits', params: { groupSize: config.groupSize } };
  return p === 'optima' ? { source: 'optima', params: {} } : p;
}

/**
 * §3.4 step 2: the search with the SFT model; pairs with their Q. Every finished task is in the
 * search's checkpoint with what it spent, so a run stopped mid-stage goes on from there. Under a
 * budget the stage starts afresh instead: a call holds its worst case against the meter while in
 * flight, which a checkpoint of finished tasks cannot restore.
 */
async function search(env: RunEnv, t: number): Promise<void> {
  const { scenario, seed, budget } = env.config;
  const sftModel = saved(env, t, 'sft');
  const ref = searchPolicyRef(env.config);
  const policy = await loadPolicyRef(ref);
  // A policy that asks for influence during the search (dits) is given probes.
  const probing = policy.probing !== undefined;
  const out = join(iterDir(env, t), 'search');
  async function* tasks() {
    yield* env.tasks.search(t);
  }
  if (budget) rmSync(join(out, CHECKPOINT), { force: true });
  // Workers search with exact copies of the model and its task index, and probe as searchProbe
  // does; a budget's reservations need the main thread.
  // Asked only where threads can run, so a notice that --threads was capped is never about a stage that ignores it.
  const threads = env.sim && !budget ? (env.workers?.threads('search', env.config.searchTasks) ?? 1) : 1;
  const workers =
    env.sim && env.workers && threads > 1 && !budget
      ? env.workers.search(
          {
            scenario,
            policy: { source: ref.source, params: ref.params },
            seed: seed + t,
            model: serializeParams(asSimParams(sftModel)),
            worldTasks: [...env.sim.tasks],
            ...(probing ? { probe: { step: probeStepOptions(env), validation: { tasks: [...env.tasks.validation], seed } } } : {}),
          },
          threads,
        )
      : undefined;
  const total = env.config.searchTasks;
  // A resumed search replays its checkpoint's tasks first: the count starts there, so the time
  // left is measured on the tasks searched now.
  let resumed = 0;
  env.progress?.({ done: 0, total });
  try {
    await runSearch(tasks(), {
      scenario,
      // Without a budget the search charges the meters itself, task by task (SearchRunOptions.meters).
      backend: budget ? backend(env, sftModel, 'q', t) : env.models.trainer.backendFor(sftModel),
      ...(budget ? {} : { meters: { q: env.meters.q, influence: env.meters.influence }, resume: existsSync(join(out, CHECKPOINT)) }),
      initial: initialModel(env),
      prepare: () => {},
      policy,
      ...(probing ? { probe: searchProbe(env, sftModel) } : {}),
      seed: seed + t,
      out,
      concurrency: env.concurrency.search,
      formats: [],
      report: false,
      ...(workers ? { searcher: workers.searcher } : {}),
      ...(env.log ? { log: env.log } : {}),
      onResume: (n) => {
        resumed = n;
        env.progress?.({ done: n, total, resumed });
      },
      onTaskDone: (done) => {
        if (done > resumed) env.progress?.({ done, total, resumed });
      },
    });
  } finally {
    await workers?.close();
  }
  const { plant } = env.config;
  if (plant) {
    if (!env.sim) throw new Error("planted pairs follow the simulated model's rules: they need an in-process run");
    const request = { counts: plant, scenario, tasks: env.tasks.search(t), world: env.sim.world, key: [seed, 'plant', t] };
    await writePlantedPairs(request, { dir: iterDir(env, t), searchSeed: seed + t, pool: trainPairs(env, t) as PoolQ[] });
  }
}

/** One line of the search's pairs.jsonl, as the later stages read it. */
export interface PairLine {
  prompt: PreferenceExample['messages'];
  speaker: string;
  chosen: string;
  rejected: string;
  chosen_value: number;
}

/**
 * The pairs warm start, probes and selection work on: the train side of the search's pairs split
 * 90/10 (§2.3, §3.4 step 2) as the DPO dataset export splits them (the same seeded permutation),
 * in the search's order. The test side is held out from training, as in the reference.
 */
export function candidatePool(env: RunEnv, t: number): PairLine[] {
  // Planted pairs (actors/plant.ts) join the train side only.
  return withPlantedPairs(trainPairs(env, t), iterDir(env, t)) as PairLine[];
}

/** The train side of the search's pairs (their lines as written), without planted ones. */
function trainPairs(env: RunEnv, t: number): unknown[] {
  return trainSide(readJsonl(join(iterDir(env, t), 'search', 'pairs.jsonl')), env.config.seed + t);
}

/** The train side of a 90/10 split of `pairs` keyed by `seed` (the search's seed), in their order. */
export function trainSide<T>(pairs: readonly T[], seed: number): T[] {
  const train = new Set(splitTrainTest(pairs.map((_, i) => i), DPO_TEST_FRACTION, seed, 'dpo').train);
  return pairs.filter((_, i) => train.has(i));
}

export const asExample = (p: PairLine): PreferenceExample => ({ messages: p.prompt, speaker: p.speaker, chosen: p.chosen, rejected: p.rejected });

/** §3.2 step 1: a short DPO warm-up on a share of the pool from the SFT model. */
async function warm(env: RunEnv, t: number): Promise<void> {
  const sftModel = saved(env, t, 'sft');
  const { warmShare, warmBatch, probeLr } = env.config.training;
  const pool = candidatePool(env, t);
  const warmModel = await env.models.trainer.dpo(sftModel, pool.map(asExample), {
    // The schedule's first step has rate 0 (Hugging Face's warm-up starts at 0): one more step
    // keeps a pool whose share is a single batch from leaving the warm start equal to SFT.
    steps: 1 + Math.max(1, Math.round((warmShare * pool.length) / warmBatch)),
    batchSize: warmBatch,
    lr: probeLr,
    scheduler: 'cosine',
    warmupRatio: 0.01,
    beta: env.config.scenario.reward.dpoBeta,
    seed: env.config.seed + t,
  });
  keep(env, t, 'warm', warmModel);
}

/** §3.2 steps 2-5: one probe per group, V greedy validation dialogues each. */
async function probes(env: RunEnv, t: number): Promise<void> {
  const { scenario, seed, groupSize } = env.config;
  const pool = candidatePool(env, t);
  const sftModel = saved(env, t, 'sft');
  const warmModel = saved(env, t, 'warm');
  const inner = env.models.trainer;
  const trainer: Trainer<unknown> = {
    sft: inner.sft.bind(inner),
    dpo: inner.dpo.bind(inner),
    probeStep: inner.probeStep.bind(inner),
    backendFor: (h) => meteredFor(env, inner.backendFor(h), 'influence', t),
    ...(inner.release ? { release: inner.release.bind(inner) } : {}),
  };
  const pairs = pool.map(asExample);
  const groups = probeGroups(pool.length, { size: groupSize, seed: seed + t });
  const validation = { scenario, tasks: env.tasks.validation, seed };
  // Worker threads take whole probes; a budget needs them in order in the main thread.
  const threads = env.sim && !env.config.budget ? (env.workers?.threads('probes', groups.length) ?? 1) : 1;
  let probed = 0;
  env.progress?.({ done: 0, total: groups.length });
  const workers =
    env.sim && env.workers && threads > 1 && !env.config.budget
      ? env.workers.probes(
          {
            scenario,
            worldTasks: [...env.sim.tasks],
            warm: serializeParams(asSimParams(warmModel)),
            ref: serializeParams(asSimParams(sftModel)),
            step: probeStepOptions(env),
            validation: { tasks: [...env.tasks.validation], seed },
          },
          threads,
          env.meters.influence,
        )
      : undefined;
  const run = await runProbes({
    trainer,
    warm: warmModel,
    ref: sftModel,
    pairs,
    groups,
    step: probeStepOptions(env),
    validation,
    sequential: env.config.budget !== undefined,
    // Worker threads get a few probes each at a time, not every group at once (back-pressure).
    ...(workers ? { concurrency: threads * 8 } : env.probeConcurrency !== undefined ? { concurrency: env.probeConcurrency } : {}),
    ...(workers ? { probeWith: (p: readonly PreferenceExample[]) => workers.probe(p) } : {}),
    onProbe: () => env.progress?.({ done: ++probed, total: groups.length }),
  }).finally(() => workers?.close());
  writeJsonAtomic(join(iterDir(env, t), 'influence.json'), run);
  if (env.sim) await writeFirstOrder(env, env.sim, t, { warm: asSimParams(warmModel), ref: asSimParams(sftModel), pairs, groups, run });
}

/**
 * The first-order estimate for comparison (docs/influence.md), in process only: it needs the
 * simulated model's exact gradients. Analysis, not part of DITS: its validation dialogues go
 * unmetered, so the influence budget is the probes' alone.
 */
async function writeFirstOrder(
  env: RunEnv,
  sim: NonNullable<RunEnv['sim']>,
  t: number,
  o: { warm: SimParams; ref: SimParams; pairs: PreferenceExample[]; groups: ProbeGroup[]; run: ProbeRun },
): Promise<void> {
  const { scenario, seed } = env.config;
  const surrogate = await validationSurrogate(sim.trainer.backendFor(o.warm), { scenario, tasks: env.tasks.validation, seed });
  const firstOrder = firstOrderInfluence(sim.world, { warm: o.warm, ref: o.ref, pairs: o.pairs, groups: o.groups, beta: scenario.reward.dpoBeta, surrogate });
  const rho = spearman(o.run.groups.map((g) => g.influence), o.run.groups.map((g) => firstOrder[g.id] as number));
  writeJsonAtomic(join(iterDir(env, t), FIRST_ORDER_FILE), {
    groups: o.run.groups.map((g) => ({ id: g.id, influence: g.influence, firstOrder: firstOrder[g.id] as number })),
    // Spearman's ρ of probe influence against firstOrder over the groups; null when undefined (a constant side).
    spearman: Number.isNaN(rho) ? null : rho,
    surrogate: { dialogues: surrogate.dialogues, scoring: surrogate.scoring, utterances: surrogate.targets.length },
  });
}

/** Where the probes stage of an in-process run writes the first-order estimate per group. */
export const FIRST_ORDER_FILE = 'first-order.json';

/** §3.3: H = Ĩ + γQ, the top α. */
async function select(env: RunEnv, t: number): Promise<void> {
  const pool = candidatePool(env, t);
  const run = JSON.parse(readFileSync(join(iterDir(env, t), 'influence.json'), 'utf8')) as { pairInfluence: (number | null)[]; groups: { id: number; members: number[] }[] };
  const influence = run.pairInfluence;
  const groupOf = new Map(run.groups.flatMap((g) => g.members.map((i) => [i, g.id] as const)));
  const { mode, alpha, gamma } = env.config.selection;
  const kept = selectPairs(
    pool.map((p, i) => ({ q: p.chosen_value, influence: influence[i] ?? Number.NaN, ...(groupOf.has(i) ? { group: groupOf.get(i) as number } : {}) })),
    { mode, alpha, gamma, seed: env.config.seed + t },
  );
  const w = new JsonlWriter(join(iterDir(env, t), 'selected.jsonl'));
  for (const i of kept) await w.write({ index: i, influence: influence[i] ?? null, ...pool[i] });
  await w.close();
  if (env.config.plant) writePlantedCounts({ dir: iterDir(env, t), pool: pool.length, requested: env.config.plant, selection: env.config.selection });
  if (env.sim) {
    const zero = zeroGradientPairs(env.sim.world, asSimParams(saved(env, t, 'sft')), pool.map(asExample), env.config.scenario.reward.dpoBeta);
    writeJsonAtomic(join(iterDir(env, t), PAIR_STATS_FILE), pairStats(zero, kept) satisfies PairStats);
  }
}

/** Where the select stage of an in-process run counts the pairs with no DPO gradient (engine/influence/pair-stats.ts). */
export const PAIR_STATS_FILE = 'pair-stats.json';

/** What the dpo stage trained on: the optimizer steps of each DPO seed's training and the selected pairs. */
export interface DpoRecord {
  steps: number;
  pairs: number;
}

export const DPO_FILE = 'dpo.json';

/**
 * §3.4 step 6: DPO from the SFT model on the selected pairs gives M_t (DPO seed 0); each
 * further DPO seed trains the same again in another batch order, so that the eval stage can
 * measure what the order alone does to the test metric.
 */
async function dpo(env: RunEnv, t: number): Promise<void> {
  const selected = readJsonl(join(iterDir(env, t), 'selected.jsonl')) as PairLine[];
  const sftModel = saved(env, t, 'sft');
  const pairs = selected.map(asExample);
  let steps = 0;
  const seeds = dpoSeedsOf(env.config);
  env.progress?.({ done: 0, total: seeds });
  for (let k = 0; k < seeds; k++) {
    const opts = finalDpoOptions(env.config, pairs.length, dpoSeed(env.config.seed, t, k));
    steps = opts.steps;
    keep(env, t, dpoModelName(k), await env.models.trainer.dpo(sftModel, pairs, opts));
    env.progress?.({ done: k + 1, total: seeds });
  }
  writeJsonAtomic(join(iterDir(env, t), DPO_FILE), { steps, pairs: pairs.length } satisfies DpoRecord);
}

/** §3.4 step 6's recipe for `pairs` pairs, batches ordered by `seed`. */
export function finalDpoOptions(config: RunConfig, pairs: number, seed: number): DpoOptions {
  const { dpoLr, batchSize, dpoEpochs } = config.training;
  return { steps: dpoSteps(pairs, batchSize, dpoEpochs), batchSize, lr: dpoLr, scheduler: 'cosine', warmupRatio: 0.1, beta: config.scenario.reward.dpoBeta, seed };
}

/** T = 0, one dialogue per test task, on `model` (the eval stage meters it; analyses do not); `onDialogue` hears each one end. */
export async function scoreTestTasks(env: RunEnv, model: ModelBackend, onDialogue?: () => void): Promise<ModelScore> {
  const { scenario, seed } = env.config;
  const results = await Promise.all(
    env.tasks.test.map(async (task) => {
      const d = await runDialogue(prepareDialogue(scenario, task, seed), model, { seedKey: [seed, task.id, 'eval'], temperature: 0, mode: 'generate' });
      const score = d.finalAnswer === LARGE || d.finalAnswer === ERROR ? 0 : await scoreAnswer(scenario.metric, d.finalAnswer, task.answers);
      onDialogue?.();
      return { score, tokens: d.tokenCount };
    }),
  );
  return { metric: mean(results.map((r) => r.score)), meanTokens: mean(results.map((r) => r.tokens)) };
}

const greedyScore = (env: RunEnv, t: number, handle: unknown, onDialogue?: () => void) => scoreTestTasks(env, backend(env, handle, 'eval', t), onDialogue);

/** The expected test metric at `temperature` over the test tasks, and the least mass its enumeration covered. Unmetered: analysis. */
async function expectedScore(env: RunEnv, sim: NonNullable<RunEnv['sim']>, params: SimParams, temperature: number): Promise<{ metric: number; mass: number }> {
  const { scenario, seed } = env.config;
  // The first `tasks` test tasks: enumeration costs 5-35 ms a task, and an exact expectation per
  // task needs far fewer tasks than greedy dialogues do to be smooth.
  const tasks = env.tasks.test.slice(0, env.config.expectedMetric?.tasks ?? env.tasks.test.length);
  const per = await Promise.all(tasks.map((task) => expectedMetric(sim.world, params, prepareDialogue(scenario, task, seed), { temperature })));
  return { metric: mean(per.map((r) => r.metric)), mass: Math.min(...per.map((r) => r.mass)) };
}

/** Every DPO seed's model, then the SFT model, one at a time (each scores every test task at once). */
async function expectedScores(env: RunEnv, sim: NonNullable<RunEnv['sim']>, sft: SimParams, dpoModels: SimParams[], temperature: number): Promise<ExpectedResult> {
  const scores: { metric: number; mass: number }[] = [];
  for (const m of [...dpoModels, sft]) scores.push(await expectedScore(env, sim, m, temperature));
  const perDpoSeed = scores.slice(0, -1).map((s) => s.metric);
  const last = scores[scores.length - 1] as { metric: number };
  return { metric: mean(perDpoSeed), perDpoSeed, sft: last.metric, temperature, minMass: Math.min(...scores.map((s) => s.mass)) };
}

/**
 * Every DPO seed's model and the SFT model on the test tasks; eval.json has the means over the
 * DPO seeds. Iteration 0 also scores the base model, once for the run: what training started from.
 */
async function evaluate(env: RunEnv, t: number): Promise<void> {
  const dpoModels = Array.from({ length: dpoSeedsOf(env.config) }, (_, k) => saved(env, t, dpoModelName(k)));
  const sftModel = saved(env, t, 'sft');
  const total = (dpoModels.length + (t === 0 ? 2 : 1)) * env.tasks.test.length;
  let done = 0;
  const onDialogue = () => env.progress?.({ done: ++done, total });
  env.progress?.({ done, total });
  const perDpoSeed: ModelScore[] = [];
  // One model at a time: each already runs every test dialogue at once.
  for (const m of dpoModels) perDpoSeed.push(await greedyScore(env, t, m, onDialogue));
  const sft = await greedyScore(env, t, sftModel, onDialogue);
  const base = t === 0 ? await greedyScore(env, t, env.models.base, onDialogue) : undefined;
  const temperature = env.config.expectedMetric?.temperature;
  const result: EvalResult = {
    metric: mean(perDpoSeed.map((s) => s.metric)),
    meanTokens: mean(perDpoSeed.map((s) => s.meanTokens)),
    tasks: env.tasks.test.length,
    perDpoSeed,
    sft,
    ...(base ? { base } : {}),
    ...(env.sim && temperature !== undefined ? { expected: await expectedScores(env, env.sim, asSimParams(sftModel), dpoModels.map(asSimParams), temperature) } : {}),
  };
  writeJsonAtomic(join(iterDir(env, t), 'eval.json'), result);
  // Cumulative meter readings after the iteration: per-iteration spend is the difference.
  writeJsonAtomic(join(iterDir(env, t), 'meters.json'), meterReadings(env));
}

export const STAGE_FUNCTIONS: Record<Stage, (env: RunEnv, t: number) => Promise<void>> = {
  'sft-data': sftData,
  sft,
  search,
  warm,
  probes,
  select,
  dpo,
  eval: evaluate,
};

export function meterReadings(env: RunEnv): Record<MeterName, MeterReading> {
  return Object.fromEntries(Object.entries(env.meters).map(([k, m]) => [k, m.reading()])) as Record<MeterName, MeterReading>;
}

