/**
 * `dits compare`: the configurations of a preset over k seeds, each (configuration, seed) a
 * normal run folder `runs/<configuration>-seed<k>/` made by the same pipeline as `dits run`;
 * finished folders are reused and unfinished ones resumed, so an interrupted comparison
 * continues. Then the summary over seeds as results.json, report.md and plot.svg: each
 * configuration paired per seed with a reference configuration and with its own SFT model,
 * and the batch-order noise its DPO seeds show.
 *
 * Order: the selection ablation for every seed first (its `mix` runs calibrate the budget
 * sweep, engine/report/plan.ts), then the sweep for every seed.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { MeterName, MeterReading } from '../engine/base/budget.ts';
import { writeFileAtomic, writeJsonAtomic } from '../engine/storage/files.ts';
import {
  budgetConfiguration,
  calibrate,
  CALIBRATION_SOURCE,
  selectionConfigurations,
  type BaseSizes,
  type Calibration,
  type Configuration,
  type Preset,
  shareName,
} from '../engine/report/plan.ts';
import type { PairStats } from '../engine/influence/pair-stats.ts';
import { generatorFor } from '../engine/tasks/task-source.ts';
import { compareSpec, renderSvg } from '../engine/report/plot.ts';
import { influenceShare, iterationSpend, summarize, type CompareResults, type IterationResult, type RunResult } from '../engine/report/results.ts';
import { formatDuration, renderReport } from '../engine/report/table.ts';
import { writeCompareReport } from '../engine/report/html/compare-page.ts';
import { InputError } from '../scenarios/errors.ts';
import type { Scenario } from '../scenarios/schema.ts';
import { DITS_VERSION } from '../engine/base/version.ts';
import { DEFAULT_TRAINING, finishRun } from './run-env.ts';
import { METRICS, MANIFEST, readManifest, type RunManifest, type RunTaskSource } from './run-manifest.ts';
import { readProgress, type IterationReport } from './run-pipeline.ts';
import { PLANTED } from './plant.ts';
import type { PlantedKept } from '../engine/influence/plant.ts';

/** The per-kind counts of a planted.json, without its other fields. */
const plantedKeptOf = (p: PlantedKept): PlantedKept => ({ harmful: { ...p.harmful }, helpful: { ...p.helpful } });
import { DPO_FILE, PAIR_STATS_FILE, type DpoRecord } from './run-stages.ts';

/** Seed k's validation tasks come from the generator with seed k + this (the other tasks from seed k). */
export const VALIDATION_SEED_OFFSET = 1_000_000;

export interface CompareOptions {
  out: string;
  preset: Preset;
  scenario: Scenario;
  /** Where the scenario came from, for the report: `built-in scenarios/builtin/<name>.yaml` or the file given. */
  scenarioSource: string;
  /** Seeds 0 .. seeds - 1. */
  seeds: number;
  base: BaseSizes;
  /** The budget sweep's influence shares. */
  shares: readonly number[];
  /** Known-harmful and known-helpful pairs planted in every run (`dits run --plant`); absent: none. */
  plant?: number;
  /** A dataset file every seed reads its tasks from (a run's file source); absent: generated tasks. */
  taskFile?: Omit<RunTaskSource, 'task_seed' | 'validation_task_seed'> & { file: string; format: string };
  /** The configuration every other is paired against, per seed. */
  reference: string;
  /** The sampling temperature of the expected test metric; null: not measured. */
  expectedTemperature: number | null;
  /** Test tasks the expected metric is computed on (the first ones). */
  expectedTasks: number;
  /** One line per finished run, and other progress. */
  say: (line: string) => void;
  /** Makes runs elsewhere (`--queue`: dits worker processes), all of a phase at once; by default one after another in this process. */
  remote?: RemoteRun;
}

/** Makes a run's folder elsewhere from its manifest; resolves to the folder's files by relative path (a path ending in '/' is a folder). */
export type RemoteRun = (manifest: RunManifest) => Promise<[path: string, bytes: Uint8Array][]>;

export interface CompareOutcome {
  results: CompareResults;
  report: string;
  /** Runs made or continued now, and runs found finished. */
  ran: number;
  reused: number;
}

/** A run's tasks for seed k: the shared file, or the generator with task seed k and validation task seed k + the offset. */
export function seedTasks(taskFile: CompareOptions['taskFile'], seed: number): RunTaskSource {
  return taskFile ? { ...taskFile, task_seed: seed } : { task_seed: seed, validation_task_seed: seed + VALIDATION_SEED_OFFSET };
}

export function runManifest(opts: Pick<CompareOptions, 'scenario' | 'base' | 'plant' | 'expectedTemperature' | 'expectedTasks' | 'taskFile'>, c: Configuration, seed: number): RunManifest {
  const { base } = opts;
  return {
    dits_version: DITS_VERSION,
    command: 'run',
    config: {
      scenario: opts.scenario,
      seed,
      iterations: base.iterations,
      sftTasks: base.sftTasks,
      sftSamples: base.sftSamples,
      searchTasks: c.settings.searchTasks,
      validationTasks: c.settings.validationTasks,
      testTasks: base.testTasks,
      groupSize: c.settings.groupSize,
      selection: { ...c.settings.selection },
      ...(opts.plant !== undefined ? { plant: { harmful: opts.plant, helpful: opts.plant } } : {}),
      dpoSeeds: base.dpoSeeds,
      // The sweep is judged on the greedy metric alone: enumeration would double the comparison's time.
      ...(opts.expectedTemperature !== null && c.kind === 'selection' ? { expectedMetric: { temperature: opts.expectedTemperature, tasks: opts.expectedTasks } } : {}),
      training: { ...DEFAULT_TRAINING },
    },
    tasks: seedTasks(opts.taskFile, seed),
  };
}

/** JSON with sorted keys, so two settings compare by value. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

const sameRun = (a: RunManifest, b: RunManifest) => canonical({ config: a.config, tasks: a.tasks }) === canonical({ config: b.config, tasks: b.tasks });

export const runDirName = (configuration: string, seed: number) => `${configuration}-seed${seed}`;

/** A finished run folder's numbers, per iteration. */
export function readRunResult(root: string, configuration: string, manifest: RunManifest): RunResult {
  const dir = join('runs', runDirName(configuration, manifest.config.seed));
  const reports = (JSON.parse(readFileSync(join(root, dir, METRICS), 'utf8')) as { iterations: IterationReport[] }).iterations;
  const spend = iterationSpend(reports.map((r) => r.meters as Record<MeterName, MeterReading>));
  const iterations: IterationResult[] = reports.map((r, t) => {
    const file = (name: string) => join(root, dir, `iter-${t}`, name);
    const read = <T>(name: string) => JSON.parse(readFileSync(file(name), 'utf8')) as T;
    const planted = file(PLANTED);
    return {
      ...(existsSync(planted) ? { planted: plantedKeptOf(JSON.parse(readFileSync(planted, 'utf8')) as PlantedKept) } : {}),
      iteration: r.iteration,
      metric: r.eval.metric,
      meanTokens: r.eval.meanTokens,
      testTasks: r.eval.tasks,
      perDpoSeed: r.eval.perDpoSeed,
      sft: r.eval.sft,
      expected: r.eval.expected ?? null,
      pairsCandidate: r.pairsCandidate,
      pairsKept: r.pairsKept,
      groups: read<{ groups: unknown[] }>('influence.json').groups.length,
      dpoSteps: read<DpoRecord>(DPO_FILE).steps,
      pairStats: existsSync(file(PAIR_STATS_FILE)) ? read<PairStats>(PAIR_STATS_FILE) : null,
      meters: spend[t] as Record<MeterName, MeterReading>,
    };
  });
  return {
    configuration,
    seed: manifest.config.seed,
    taskSeed: manifest.tasks.task_seed,
    validationTaskSeed: manifest.tasks.validation_task_seed ?? manifest.tasks.task_seed,
    dir,
    iterations,
  };
}

export type RunStatus = 'ran' | 'resumed' | 'reused';

/** Makes, continues or reuses the run folder of (configuration, seed); `why` explains a settings mismatch a user may not expect. */
export async function ensureRun(root: string, name: string, manifest: RunManifest, why = '', remote?: RemoteRun): Promise<RunStatus> {
  const out = join(root, 'runs', runDirName(name, manifest.config.seed));
  const found = readManifest(out);
  if (found && !sameRun(found, manifest)) {
    throw new InputError(`${out} holds a run with other settings than this comparison's ${name}${why}: choose another --out, or delete that folder`);
  }
  if (found && existsSync(join(out, METRICS))) return 'reused';
  if (remote) {
    // Made whole elsewhere: what an unfinished folder here holds is replaced by the finished one.
    const files = await remote(manifest);
    rmSync(out, { recursive: true, force: true });
    for (const [path, bytes] of files) {
      if (path.endsWith('/')) mkdirSync(join(out, path), { recursive: true });
      else writeFileAtomic(join(out, path), bytes);
    }
    return 'ran';
  }
  if (!found) {
    mkdirSync(out, { recursive: true });
    writeJsonAtomic(join(out, MANIFEST), manifest);
  }
  const progress = readProgress(out);
  await finishRun(out, manifest);
  return progress ? 'resumed' : 'ran';
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * The time the runs still to come will take, at the mean of the runs made so far in this
 * process (reused ones cost nothing; those still to come are assumed to be made). For display only.
 */
export function remainingTime(): { status: (status: RunStatus, ms: number, left: number) => string } {
  let made = 0;
  let spent = 0;
  return {
    /** `reused`, or `ran in 1.2 s; about 40 s left` for a run made in `ms` with `left` runs to come. */
    status: (status, ms, left) => {
      if (status === 'reused') return 'reused';
      made++;
      spent += ms;
      const eta = left > 0 ? `; about ${formatDuration((spent / made) * left)} left` : '';
      return `${status} in ${(ms / 1000).toFixed(1)} s${eta}`;
    },
  };
}

/** `0.9100 (DPO seeds 0.9000 0.9300 0.9000; SFT 0.8500)`. */
function scoreLine(i: IterationResult): string {
  const f = (n: number) => n.toFixed(4);
  const seeds = i.perDpoSeed.length > 1 ? `DPO seeds ${i.perDpoSeed.map((s) => f(s.metric)).join(' ')}; ` : '';
  return `${f(i.metric)} (${seeds}SFT ${f(i.sft.metric)})`;
}

export async function runCompare(opts: CompareOptions): Promise<CompareOutcome> {
  const { out, base, say } = opts;
  const seeds = Array.from({ length: opts.seeds }, (_, k) => k);
  const selection = selectionConfigurations(base);
  const names = [...selection.map((c) => c.name), ...opts.shares.map(shareName)];
  if (!names.includes(opts.reference)) throw new InputError(`--reference ${opts.reference}: not a configuration of this comparison (${names.join(', ')})`);
  const total = (selection.length + opts.shares.length) * seeds.length;
  const runs: RunResult[] = [];
  let done = 0;
  let ran = 0;
  let reused = 0;
  const width = String(total).length;
  const clock = remainingTime();

  async function runAll(configs: readonly Configuration[]): Promise<void> {
    const why = (c: Configuration) => (c.kind === 'budget' ? " (the sweep's search tasks and V are calibrated from the mix runs of all seeds, so another --seeds changes them)" : '');
    // Elsewhere, every run of the phase is asked for at once; the lines below still come in order.
    const remote = new Map<string, Promise<RunStatus>>();
    if (opts.remote) {
      for (const seed of seeds) {
        for (const c of configs) {
          const made = ensureRun(out, c.name, runManifest(opts, c, seed), why(c), opts.remote);
          made.catch(() => undefined);
          remote.set(`${c.name}/${seed}`, made);
        }
      }
    }
    for (const seed of seeds) {
      for (const c of configs) {
        const manifest = runManifest(opts, c, seed);
        const started = performance.now();
        const status = await (remote.get(`${c.name}/${seed}`) ?? ensureRun(out, c.name, manifest, why(c)));
        const r = readRunResult(out, c.name, manifest);
        runs.push(r);
        done++;
        if (status === 'reused') reused++;
        else ran++;
        const last = r.iterations[r.iterations.length - 1] as IterationResult;
        const when = clock.status(status, performance.now() - started, total - done);
        say(
          `[${String(done).padStart(width)}/${total}] ${c.name} seed ${seed}: test ${opts.scenario.metric} ${scoreLine(last)}, ` +
            `${last.meanTokens.toFixed(1)} tokens/dialogue, Q ${int(last.meters.q.tokens)} + influence ${int(last.meters.influence.tokens)} tokens ` +
            `(share ${influenceShare(last.meters).toFixed(3)}) (${when})\n`,
        );
      }
    }
  }

  await runAll(selection);

  let calibration: Calibration | null = null;
  const budget: Configuration[] = [];
  if (opts.shares.length > 0) {
    const source = runs.filter((r) => r.configuration === CALIBRATION_SOURCE);
    calibration = calibrate(
      source.flatMap((r) =>
        r.iterations.map((i) => ({
          qTokens: i.meters.q.tokens,
          influenceTokens: i.meters.influence.tokens,
          pairs: i.pairsCandidate,
          groups: i.groups,
          searchTasks: base.searchTasks,
          validationTasks: base.validationTasks,
        })),
      ),
    );
    for (const share of opts.shares) budget.push(budgetConfiguration(share, calibration, base));
    say(
      `budget sweep: B = ${int(calibration.budget)} Q + influence tokens per iteration; ` +
        budget.map((c) => `${c.name}: ${c.settings.searchTasks} search tasks, V ${c.settings.validationTasks}`).join('; ') +
        '\n',
    );
    await runAll(budget);
  }

  const configurations = [...selection, ...budget];
  const results: CompareResults = {
    dits_version: DITS_VERSION,
    preset: opts.preset,
    scenario: opts.scenario.name,
    scenarioSource: opts.scenarioSource,
    tasks: opts.taskFile ? { file: opts.taskFile.file, format: opts.taskFile.format } : { generator: generatorFor(opts.scenario).name, validationSeedOffset: VALIDATION_SEED_OFFSET },
    metric: opts.scenario.metric,
    reference: opts.reference,
    expectedTemperature: opts.expectedTemperature,
    seeds,
    base,
    shares: [...opts.shares],
    calibration,
    configurations,
    runs,
    summary: summarize(configurations, runs, opts.reference),
  };
  const report = renderReport(results);
  writeJsonAtomic(join(out, 'results.json'), results);
  writeFileAtomic(join(out, 'report.md'), report);
  const plot = await renderSvg(compareSpec(results));
  writeFileAtomic(join(out, 'plot.svg'), plot);
  await writeCompareReport(out, { results, markdown: report, plot });
  return { results, report, ran, reused };
}
