/** `dits run`: the iterative DITS loop on the simulated model, resumable stage by stage. */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { loadScenario } from './scenario.ts';
import { InputError } from '../../scenarios/errors.ts';
import { writeJsonAtomic } from '../../engine/storage/files.ts';
import { SELECTION_MODES, type SelectionMode } from '../../engine/influence/selection.ts';
import type { MeterName, MeterReading } from '../../engine/base/budget.ts';
import { iterationReport, readProgress, runPipeline, type RunProgress, type StageMark } from '../../actors/run-pipeline.ts';
import { createRunEnv, DEFAULT_TRAINING, iterationMeters, newAdapterPrefix, writeRunMetrics, type RunSession } from '../../actors/run-env.ts';
import { MANIFEST, METRICS, readManifest, type RunBackend, type RunManifest } from '../../actors/run-manifest.ts';
import { DEFAULT_CONCURRENCY, searchPolicyRef, STAGE_LABELS, STAGES, type RunConfig, type RunEnv } from '../../actors/run-stages.ts';
import { loadPolicyRef, policyRef } from '../../engine/search/policy-ref.ts';
import type { PolicyParams } from '../../engine/search/policy.ts';
import { collectParam } from './search.ts';
import type { EvalResult } from '../../engine/base/eval-result.ts';
import { REPORT_HTML } from '../../engine/report/html/page.ts';
import { addRunSizeOptions, runSizes, type RunSizeFlags } from '../run-options.ts';
import { floatOption, givenFlags, intOption, warnIgnored } from '../options.ts';
import { DITS_VERSION } from '../../engine/base/version.ts';
import { HOOK_PLACEHOLDERS, type TrainerHook } from '../../engine/hook/run-hook.ts';
import { isModelRequestError } from '../../engine/base/model-backend.ts';
import { EndpointsDownError } from '../../engine/openai/index.ts';
import { RunStopped } from '../exit.ts';
import { THREADS_HELP, threadsChooser, threadsOption, type ThreadsChoice } from '../threads.ts';
import { stageDisplay, type StageDisplay } from '../progress.ts';
import { runPool } from '../../workers/run-pool.ts';
import { addBackendOptions, endpointsFrom, openaiSettings, type BackendFlags } from '../backend.ts';
import { addQueueOptions, queueFrom, queueWorkers, warnUnusedQueueFlags, type QueueFlags } from '../queue.ts';

interface RunFlags extends RunSizeFlags, BackendFlags, QueueFlags {
  trainerCmd?: string;
  trainerUrl?: string;
  probeConcurrency: number;
  searchConcurrency: number;
  sftConcurrency: number;
  threads: ThreadsChoice;
  scenario: string;
  tasks?: string;
  format?: string;
  map?: string;
  limit?: number;
  offset?: number;
  skipBadRows?: boolean;
  taskSeed: number;
  seed: number;
  selection: SelectionMode;
  policy: string;
  param: PolicyParams;
  budgetTokens?: number;
  expectedMetric?: number;
  influenceShare: number;
  probeLr?: number;
  dpoLr?: number;
  dpoEpochs?: number;
  dpoBatch?: number;
  probeOptimizer: 'adamw' | 'sgd';
  alpha: number;
  gamma: number;
  plant?: number;
  out?: string;
  resume?: string;
  maxStages?: number;
  overwrite?: boolean;
  quiet?: boolean;
}

function selectionMode(value: string): SelectionMode {
  if (!(SELECTION_MODES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${SELECTION_MODES.join(', ')}`);
  return value as SelectionMode;
}

function trainerHook(flags: RunFlags): TrainerHook | undefined {
  if (flags.trainerCmd !== undefined && flags.trainerUrl !== undefined) throw new InputError('give --trainer-cmd or --trainer-url, not both');
  if (flags.trainerCmd !== undefined) return { kind: 'command', template: flags.trainerCmd };
  if (flags.trainerUrl !== undefined) return { kind: 'http', url: flags.trainerUrl };
  return undefined;
}

function serverBackend(flags: RunFlags, out: string): RunBackend {
  const trainer = trainerHook(flags);
  if (!trainer) throw new InputError('--backend openai needs a trainer hook for SFT, DPO and the influence probes: --trainer-cmd TEMPLATE or --trainer-url URL (README: Trainer hook)');
  return { kind: 'openai', settings: openaiSettings(flags), trainer, probeConcurrency: flags.probeConcurrency, adapterPrefix: newAdapterPrefix(out, flags.seed) };
}

/** What this session may change: the flags given on the command line win over the manifest's. */
function session(cmd: Command, flags: RunFlags, notice: (line: string) => void): RunSession {
  const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  const trainer = trainerHook(flags);
  return {
    cache: flags.cache,
    ...(given('endpoint') || given('endpoints') ? { endpoints: endpointsFrom(flags) } : {}),
    ...(trainer ? { trainer } : {}),
    ...(flags.apiKey !== undefined ? { apiKey: flags.apiKey } : {}),
    ...(flags.quiet !== undefined ? { quiet: flags.quiet } : {}),
    log: notice,
    concurrency: { search: flags.searchConcurrency, sft: flags.sftConcurrency },
  };
}

/** A stage that failed on the servers stops the run; what finished is kept, and --resume goes on from there. */
function stoppedRun(e: unknown, out: string): unknown {
  if (!isModelRequestError(e) && !(e instanceof EndpointsDownError)) return e;
  return new RunStopped(`${(e as Error).message}\nthe run stopped; every finished stage is kept. Continue with: dits run --resume ${out}`, { cause: e });
}

/** The options a run's manifest records: `--resume` takes them from there, so given with it they do nothing. */
const RUN_SETTINGS = [
  'scenario', 'tasks', 'format', 'map', 'limit', 'offset', 'skipBadRows', 'taskSeed', 'seed', 'policy', 'param', 'probeOptimizer', 'probeLr',
  'dpoLr', 'dpoEpochs', 'dpoBatch', 'budgetTokens', 'influenceShare', 'expectedMetric', 'selection', 'alpha', 'gamma', 'plant', 'out', 'overwrite',
  'iterations', 'sftTasks', 'sftSamples', 'searchTasks', 'validation', 'testTasks', 'groupSize', 'dpoSeeds', 'backend', 'model',
];

/** The file part of a run's task source; the slice flags only when given, so manifests without them stay as they were. */
function fileSource(flags: RunFlags): Omit<RunManifest['tasks'], 'task_seed'> {
  return {
    file: flags.tasks as string,
    format: flags.format,
    map: flags.map,
    ...(flags.offset !== undefined ? { offset: flags.offset } : {}),
    ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
    ...(flags.skipBadRows ? { skip_bad_rows: true } : {}),
  };
}

/** optima and dits without parameters stay plain names, as manifests have always had them. */
function runPolicy(flags: RunFlags): RunConfig['searchPolicy'] {
  const plain = (flags.policy === 'optima' || flags.policy === 'dits') && Object.keys(flags.param).length === 0;
  return plain ? (flags.policy as 'optima' | 'dits') : policyRef(flags.policy, flags.param);
}

function configFrom(flags: RunFlags): RunConfig {
  return {
    scenario: loadScenario(flags.scenario).scenario,
    seed: flags.seed,
    ...runSizes(flags),
    selection: { mode: flags.selection, alpha: flags.alpha, gamma: flags.gamma },
    searchPolicy: runPolicy(flags),
    dpoSeeds: flags.dpoSeeds,
    ...(flags.expectedMetric !== undefined ? { expectedMetric: { temperature: flags.expectedMetric } } : {}),
    ...(flags.budgetTokens !== undefined ? { budget: { tokens: flags.budgetTokens, influenceShare: flags.influenceShare } } : {}),
    ...(flags.plant !== undefined ? { plant: { harmful: flags.plant, helpful: flags.plant } } : {}),
    training: {
      ...DEFAULT_TRAINING,
      probeOptimizer: flags.probeOptimizer,
      ...(flags.probeLr !== undefined ? { probeLr: flags.probeLr } : {}),
      ...(flags.dpoLr !== undefined ? { dpoLr: flags.dpoLr } : {}),
      ...(flags.dpoEpochs !== undefined ? { dpoEpochs: flags.dpoEpochs } : {}),
      ...(flags.dpoBatch !== undefined ? { batchSize: flags.dpoBatch } : {}),
    },
  };
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** `Q spent 8,165 calls / 131,090 tokens`, and with a budget the iteration's share of it. */
function spend(config: RunConfig, after: Record<MeterName, MeterReading>, before: Record<MeterName, MeterReading> | undefined, m: 'q' | 'influence'): string {
  const calls = after[m].calls - (before?.[m].calls ?? 0);
  const tokens = after[m].tokens - (before?.[m].tokens ?? 0);
  const b = config.budget;
  const cap = b ? ` of ${fmt(Math.floor(b.tokens * (m === 'influence' ? b.influenceShare : 1 - b.influenceShare)))}` : '';
  return `${m === 'q' ? 'Q' : 'influence'} spent ${fmt(calls)} calls / ${fmt(tokens)}${cap} tokens`;
}

/**
 * `base 0.1100 → SFT 0.6525 → DPO 0.7925`: what the untrained model scores, what SFT made of it,
 * what DPO on the selected pairs made of that; with several DPO seeds their mean and each; then
 * the expected metric when measured.
 */
function scoreLine(e: EvalResult, base: EvalResult['base']): string {
  const f = (n: number) => n.toFixed(4);
  const seeds = e.perDpoSeed.length > 1 ? ` (mean of ${e.perDpoSeed.length} DPO seeds ${e.perDpoSeed.map((s) => f(s.metric)).join(' ')})` : '';
  const expected = e.expected ? `  expected at T = ${e.expected.temperature}: SFT ${f(e.expected.sft)} → DPO ${f(e.expected.metric)}` : '';
  return `${base ? `base ${f(base.metric)} → ` : ''}SFT ${f(e.sft.metric)} → DPO ${f(e.metric)}${seeds}${expected}`;
}

/** The base model's score, measured once by iteration 0's eval stage (absent in runs made before it was). */
function baseScore(env: RunEnv): EvalResult['base'] {
  const file = join(env.out, 'iter-0', 'eval.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as EvalResult).base : undefined;
}


export function registerRunCommand(program: Command): void {
  const cmd = addRunSizeOptions(program.command('run'), { iterations: 2, testTasks: 100, dpoSeeds: 1 });
  addQueueOptions(addBackendOptions(cmd), 'the search tasks and influence probes (runs without --budget-tokens)')
    .option('--trainer-cmd <template>', `openai: the trainer hook, a shell command per training job; placeholders ${HOOK_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')} (README: Trainer hook)`)
    .option('--trainer-url <url>', 'openai: the trainer hook as an HTTP endpoint the job is POSTed to (serve-sim: <server>/sim/train)')
    .option('--threads <n|auto>', `${THREADS_HELP}. The search and the probes of in-process runs without --budget-tokens`, threadsOption, 'auto')
    .option('--search-concurrency <n>', 'tasks searched at once in the main thread (each node samples several rollouts: against a server, keep search x samples near --max-in-flight); no output depends on it', intOption(1, 4096), DEFAULT_CONCURRENCY.search)
    .option('--sft-concurrency <n>', 'tasks whose --sft-samples dialogues are sampled at once; no output depends on it', intOption(1, 4096), DEFAULT_CONCURRENCY.sft)
    .option('--probe-concurrency <n>', 'openai: influence probes at once, each with its own adapter loaded', intOption(1, 256), 4)
    .description('the DITS loop (§3.4): per iteration SFT data, SFT, search, warm start, influence probes, selection, DPO, evaluation')
    .option('--scenario <name|file>', 'built-in scenario name or scenario file', 'hotpotqa')
    .option('--tasks <file>', 'dataset file (default: generated tasks)')
    .option('--format <format>', 'dataset format (default: the scenario\'s)')
    .option('--map <spec>', 'field mapping for --format jsonl')
    .option('--limit <n>', '--tasks: read at most n tasks of the file', intOption(1))
    .option('--offset <n>', '--tasks: skip the first n tasks of the file', intOption(0))
    .option('--skip-bad-rows', '--tasks: report bad dataset rows on stderr and go on, instead of stopping at the first')
    .option('--task-seed <n>', 'seed of the task generator', intOption(0), 0)
    .option('--seed <n>', 'run seed', intOption(0, 2 ** 32 - 1), 0)
    .option('--policy <name|file>', 'search policy: optima (influence only selects pairs, as released), dits (influence also steers expansion), uct, puct, random, best-of-n, or a .ts/.js policy file (its sha256 goes in the manifest)', 'optima')
    .option('--param <name=value>', 'a search policy parameter, e.g. c=1.5 (repeatable)', collectParam, {})
    .option('--probe-optimizer <name>', 'the optimizer of the one probe step: adamw or sgd', (v: string) => {
      if (v !== 'adamw' && v !== 'sgd') throw new InvalidArgumentError('expected adamw or sgd');
      return v;
    }, 'adamw')
    .option('--probe-lr <lr>', `learning rate of the probe step, in the simulated model's units (default ${DEFAULT_TRAINING.probeLr})`, floatOption(1e-9, 100))
    .option('--dpo-lr <lr>', `peak learning rate of the final DPO (cosine, warm-up 0.1), in the simulated model's units (default ${DEFAULT_TRAINING.dpoLr})`, floatOption(1e-9, 100))
    .option('--dpo-epochs <n>', `passes of the final DPO over the selected pairs (default ${DEFAULT_TRAINING.dpoEpochs})`, intOption(1, 1000))
    .option('--dpo-batch <n>', `pairs per step of the final DPO (default ${DEFAULT_TRAINING.batchSize}, the reference's effective batch)`, intOption(1, 100_000))
    .option('--budget-tokens <n>', 'per iteration, the tokens Q estimation (search) and influence estimation (probes) may spend together; each stops cleanly at its share', intOption(1))
    .option('--influence-share <f>', 'the share of --budget-tokens for influence; the rest is for the search', floatOption(0, 1), 0.5)
    .option('--expected-metric <T>', 'in process: also the exact expected test metric when sampling at temperature T, of every DPO model and the SFT model (eval.json)', floatOption(0.01, 10))
    .option('--selection <mode>', `pair selection: ${SELECTION_MODES.join(', ')}`, selectionMode, 'mix')
    .option('--alpha <a>', 'fraction of pairs kept', floatOption(0, 1), 0.5)
    .option('--gamma <g>', 'weight of Q in H = influence + gamma * Q', floatOption(0, 100), 1)
    .option('--plant <n>', 'per iteration, add n known-harmful pairs and their n helpful mirrors to the candidate pool; iter-t/planted.json counts what the selection kept (sim backend)', intOption(1))
    .option('--out <dir>', 'run folder (default: runs/run-<scenario>-seed<seed>)')
    .option('--resume <dir>', 'continue the run in this folder from its first unfinished stage (its manifest gives the settings)')
    .option('--max-stages <n>', `run at most n stages now (${STAGES.length} per iteration: ${STAGES.join(', ')}), then stop cleanly; --resume continues`, intOption(1))
    .option('--overwrite', 'delete what the --out folder holds and start afresh')
    .option('--quiet', 'print nothing but errors')
    .action(async (flags: RunFlags, cmd: Command) => {
      let manifest: RunManifest;
      let out: string;
      if (flags.resume !== undefined) {
        warnIgnored(givenFlags(cmd, RUN_SETTINGS), `--resume continues with the settings in ${flags.resume}/${MANIFEST}`);
        out = flags.resume;
        const found = readManifest(out);
        if (!found) throw new InputError(`${out}: no ${MANIFEST}, so there is no run to resume`);
        manifest = found;
      } else {
        if (flags.expectedMetric !== undefined && flags.backend === 'openai') {
          throw new InputError('--expected-metric enumerates the simulated model\'s dialogues: it needs the simulated model in process, not --backend openai');
        }

        if (flags.plant !== undefined && flags.backend === 'openai') {
          throw new InputError('--plant builds its pairs by the simulated model\'s rules, so it needs the sim backend');
        }
        if (flags.budgetTokens === undefined) warnIgnored(givenFlags(cmd, ['influenceShare']), 'it splits --budget-tokens, and no budget is set');
        if (flags.tasks === undefined) warnIgnored(givenFlags(cmd, ['format', 'map', 'limit', 'offset', 'skipBadRows']), 'they apply to --tasks, which is not given (generated tasks)');
        const config = configFrom(flags);
        // Load the policy now, so a bad file or parameter fails before any stage runs.
        const policy = await loadPolicyRef(searchPolicyRef(config));
        if (flags.budgetTokens !== undefined && policy.probing !== undefined) {
          throw new InputError(`--budget-tokens does not work with --policy ${flags.policy} yet: it probes during the search, and those probes are not capped`);
        }
        out = flags.out ?? join('runs', `run-${config.scenario.name}-seed${flags.seed}`);
        if (flags.overwrite) rmSync(out, { recursive: true, force: true });
        if (existsSync(join(out, 'progress.json'))) throw new InputError(`${out} already holds a run: continue it with --resume ${out}, or choose another --out`);
        manifest = {
          dits_version: DITS_VERSION,
          command: 'run',
          config,
          tasks: { ...(flags.tasks !== undefined ? fileSource(flags) : {}), task_seed: flags.taskSeed },
          ...(flags.backend === 'openai' ? { backend: serverBackend(flags, out) } : {}),
        };
        mkdirSync(out, { recursive: true });
        writeJsonAtomic(join(out, MANIFEST), manifest);
      }
      const progress = readProgress(out);
      const display = stageDisplay({ iterations: manifest.config.iterations, quiet: flags.quiet ?? false });
      // Notices go over the display, which erases its bar first.
      const notice = (line: string) => flags.quiet || display.print(`dits: ${line}\n`, process.stderr);
      if (flags.queue !== undefined && manifest.backend !== undefined) throw new InputError('--queue sends search tasks and probes to dits worker processes, which run the simulated model: it needs the sim backend');
      warnUnusedQueueFlags(cmd, flags);
      if (flags.queue !== undefined && manifest.config.budget !== undefined) notice('--queue unused: a --budget-tokens run searches and probes in the main thread, in order');
      const env = await createRunEnv(out, manifest, session(cmd, flags, notice));
      let queue;
      try {
        queue = await queueFrom(flags, notice);
      } catch (e) {
        await env.close();
        throw e;
      }
      const threads = runPool();
      env.workers = queue ? queueWorkers(queue) : threads.workers(threadsChooser(flags.threads, notice));
      env.progress = (c) => display.count(c);
      // Ctrl-C: every stage writes its outputs whole, so stopping between writes loses nothing;
      // what must not be left behind is adapters loaded on the server.
      const onInterrupt = () => {
        display.stop();
        process.stderr.write(`dits: interrupted; unloading this run's adapters. Continue with: dits run --resume ${out}\n`);
        env.close().finally(() => process.exit(130));
      };
      process.once('SIGINT', onInterrupt);
      try {
        const where = queue?.where;
        await execute(env, progress, flags, display, () => (where ? `through the ${where}` : workersWhere(threads.started())));
      } catch (e) {
        throw stoppedRun(e, out);
      } finally {
        display.stop();
        process.off('SIGINT', onInterrupt);
        await queue?.close();
        await threads.close();
        await env.close();
      }
    });
}

/** Runs the pipeline from where the folder stands, showing each stage and printing each iteration's figures. */
async function execute(env: RunEnv, progress: RunProgress | undefined, flags: RunFlags, display: StageDisplay, where: () => string): Promise<void> {
  const { config, out } = env;
  const say = (s: string) => flags.quiet || display.print(s);
  if (progress) say(`resuming ${out} after ${progress.completed.length} of ${config.iterations * STAGES.length} stages\n`);
  const started = performance.now();
  const onStage = (mark: StageMark) => {
    if (mark.stage !== 'eval') return;
    const t = mark.iteration;
    const before = t > 0 ? iterationMeters(env, t - 1) : undefined;
    const after = iterationMeters(env, t);
    const r = iterationReport(env, t, after);
    say(
      `iteration ${t}: test ${config.scenario.metric} ${scoreLine(r.eval, baseScore(env))}  tokens/dialogue ${r.eval.meanTokens.toFixed(1)}  ` +
        `pairs kept ${r.pairsKept}/${r.pairsCandidate}  ${spend(config, after, before, 'q')}  ${spend(config, after, before, 'influence')}\n`,
    );
  };
  const onStageStart = (mark: StageMark) => display.stage(mark.iteration, STAGE_LABELS[mark.stage]);
  const complete = await runPipeline(env, progress, { ...(flags.maxStages !== undefined ? { maxStages: flags.maxStages } : {}), onStage, onStageStart });
  display.stop();
  if (!complete) {
    say(`stopped after ${readProgress(out)?.completed.length ?? 0} of ${config.iterations * STAGES.length} stages; continue with: dits run --resume ${out}\n`);
    return;
  }
  writeRunMetrics(env);
  say(`done in ${((performance.now() - started) / 1000).toFixed(1)} s (${where()}); wrote ${out}\n${filesToOpen(out, config.iterations - 1)}`);
}

/** Where the stages ran, for the last line. */
function workersWhere(threads: number): string {
  return threads > 0 ? `on ${threads} worker threads` : 'in the main thread';
}

/** What a person opens first in a finished run folder. */
function filesToOpen(out: string, last: number): string {
  const rows: [string, string][] = [
    [join(out, REPORT_HTML), 'the report, for a browser: every iteration\'s scores, selection and trees'],
    [join(out, METRICS), 'the summary: every iteration\'s test scores (base, SFT, DPO), pairs and meters'],
    [join(out, `iter-${last}`, 'sft-data.jsonl'), 'the last iteration\'s SFT data'],
    [join(out, `iter-${last}`, 'selected.jsonl'), 'the preference pairs it selected for DPO, with Q and influence'],
    [join(out, `iter-${last}`, 'search', 'pairs.jsonl'), 'every pair its search found'],
  ];
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, what]) => `  ${f.padEnd(width)}  ${what}\n`).join('');
}
