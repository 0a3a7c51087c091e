/** `dits search`: tree search per task; writes trees, pairs and trainer datasets. */
import { join, resolve } from 'node:path';
import { claimOutFolder } from '../out-folder.ts';
import { InputError } from '../../scenarios/errors.ts';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { loadScenario } from './scenario.ts';
import { writeJsonAtomic } from '../../engine/storage/files.ts';
import { TRAINER_FORMATS, type TrainerFormat } from '../../engine/export/index.ts';
import { BUILTIN_POLICIES, loadPolicy } from '../../engine/search/policies/index.ts';
import { policyRef } from '../../engine/search/policy-ref.ts';
import type { PolicyParams } from '../../engine/search/policy.ts';
import { CHECKPOINT, runSearch } from '../../actors/run-search.ts';
import { workerSearcher } from '../../workers/search-pool.ts';
import { progressInspector, type ProgressSnapshot } from '../../actors/progress.ts';
import { addBackendOptions, createBackend, type BackendFlags } from '../backend.ts';
import { floatOption, intOption } from '../options.ts';
import { Interrupted, PartialFailure } from '../exit.ts';
import { progressBar } from '../progress.ts';
import { addTaskSourceOptions, openTaskSource, warnUnusedTaskFlags, type TaskSourceFlags } from '../task-source.ts';
import { peekTasks } from '../../engine/tasks/task-source.ts';
import { AUTO_THREADS_MIN, THREADS_HELP, threadsChooser, threadsOption, type ThreadsChoice } from '../threads.ts';
import { DITS_VERSION } from '../../engine/base/version.ts';
import { addQueueOptions, queueFrom, warnUnusedQueueFlags, type QueueFlags } from '../queue.ts';

interface SearchFlags extends TaskSourceFlags, BackendFlags, QueueFlags {
  scenario: string;
  taskSeed: number;
  policy: string;
  selections?: number;
  rollouts?: number;
  temperature?: number;
  param: PolicyParams;
  seed: number;
  concurrency: number;
  normalizer?: number;
  formats: TrainerFormat[];
  out?: string;
  overwrite?: boolean;
  quiet?: boolean;
  threads: ThreadsChoice;
  resume?: boolean;
}

/** A policy file's path and sha256 for the manifest, so a folder says which code searched it; nothing for a built-in. */
function policyFileHash(spec: string): { file?: string; sha256?: string } {
  const ref = policyRef(spec, {});
  return ref.sha256 ? { file: ref.source, sha256: ref.sha256 } : {};
}

/** The policy as a worker loads it: a built-in name, or the module's absolute path. */
function policySpec(source: string, params: PolicyParams) {
  return { source: source in BUILTIN_POLICIES ? source : resolve(source), params };
}

/** `--param name=value`, repeatable; numbers and booleans are typed, the rest stay strings. */
export function collectParam(spec: string, acc: PolicyParams): PolicyParams {
  const m = /^([A-Za-z][\w-]*)=(.*)$/.exec(spec);
  if (!m) throw new InvalidArgumentError(`expected name=value, got '${spec}'`);
  const raw = m[2] as string;
  const value = raw === 'true' ? true : raw === 'false' ? false : raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  return { ...acc, [m[1] as string]: value };
}

function formatList(value: string): TrainerFormat[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(TRAINER_FORMATS as readonly string[]).includes(n)) throw new InvalidArgumentError(`unknown format '${n}' (known: ${TRAINER_FORMATS.join(', ')})`);
  }
  return names as TrainerFormat[];
}

export function registerSearchCommand(program: Command): void {
  const cmd = program
    .command('search')
    .description('search a tree per task; write trees.msgpack, pairs.jsonl, datasets/<trainer>/, summary.json and manifest.json')
    .requiredOption('--scenario <name|file>', 'built-in scenario name or scenario file');
  addQueueOptions(addBackendOptions(addTaskSourceOptions(cmd)), 'the tasks')
    .option('--policy <name|file>', `search policy: ${Object.keys(BUILTIN_POLICIES).filter((p) => p !== 'dits').join(', ')}, or a .ts/.js file exporting one (dits needs probes: dits run --policy dits)`, 'optima')
    .option('--selections <n>', 'selections per task (policy default: 8)', intOption(1))
    .option('--rollouts <n>', 'rollouts per selection (policy default: 3)', intOption(1))
    .option('--temperature <t>', 'rollout temperature (policy default: 0.7)', floatOption(0, 5))
    .option('--param <name=value>', 'a policy parameter, e.g. topK=10 or c=1.5 (repeatable)', collectParam, {})
    .option('--seed <n>', 'run seed', intOption(0, 2 ** 32 - 1), 0)
    .option('--concurrency <n>', 'tasks searched at once in the main thread (a worker thread takes 4 at a time)', intOption(1, 1024), 8)
    .option('--normalizer <m>', 'token normalizer M (default: P80 of 100 sampled dialogues + 1)', floatOption(1, 1e9))
    .option('--formats <list>', `trainer formats to write (default: all): ${TRAINER_FORMATS.join(',')}`, formatList, [...TRAINER_FORMATS])
    .option('--out <dir>', 'run folder (default: runs/search-<scenario>-<policy>-seed<seed>); a finished one is refused unless --overwrite')
    .option('--overwrite', 'replace what a dits folder at --out holds (a finished search or an unfinished one\'s checkpoint)')
    .option('--threads <n|auto>', THREADS_HELP, threadsOption, 'auto')
    .option('--resume', 'continue the interrupted search in --out from its checkpoint (give the same flags)')
    .option('--quiet', 'no progress bar and no summary')
    .action(async (flags: SearchFlags, cmd: Command) => {
      warnUnusedTaskFlags(cmd, flags);
      const started = performance.now();
      const { scenario, file: scenarioFile } = loadScenario(flags.scenario);
      const params: PolicyParams = { ...flags.param };
      if (flags.selections !== undefined) params.selections = flags.selections;
      if (flags.rollouts !== undefined) params.rollouts = flags.rollouts;
      if (flags.temperature !== undefined) params.temperature = flags.temperature;
      if (flags.policy === 'best-of-n' && flags.rollouts !== undefined) {
        delete params.rollouts;
        params.n = flags.rollouts;
      }
      if (flags.policy === 'dits') {
        // Without probes the dits policy has no influence to steer by and searches exactly as optima.
        throw new InputError(
          "--policy dits steers the search by influence, and influence needs probes, which need a trainer: dits search has none and would search exactly as optima. Use dits run --policy dits, or --policy optima",
        );
      }
      const policy = await loadPolicy(flags.policy, params);
      const out = flags.out ?? join('runs', `search-${scenario.name}-${policy.name}-seed${flags.seed}`);
      claimOutFolder(out, { ...(flags.overwrite ? { overwrite: true } : {}), ...(flags.resume ? { resume: true } : {}) });
      const source = openTaskSource(scenario, flags, flags.taskSeed, (err) => process.stderr.write(`dits: skipped bad row: ${err.message}\n`));
      const handle = await createBackend(flags, scenario, { out, ...(flags.quiet !== undefined ? { quiet: flags.quiet } : {}) });
      const { backend, prepare } = handle;
      const total = source.description.kind === 'generated' ? source.description.count : flags.limit;
      const progress = progressBar('search', total, flags.quiet ?? false);
      const notice = (line: string) => progress.print(`dits: ${line}\n`, process.stderr);
      // The bar counts the tasks handed over (a resumed search's restored ones too); the
      // inspector, in this thread, adds the rollouts and tokens of the tasks in flight.
      let live: ProgressSnapshot = { tasks: 0, rollouts: 0, tokens: 0, rolloutsPerSecond: 0 };
      let done = 0;
      let pairCount = 0;
      const show = () => progress.update(done, `${inspector ? `${live.rolloutsPerSecond.toFixed(0)} rollouts/s | ${live.tokens} tokens | ` : ''}${pairCount} pairs`);
      if (flags.threads !== 'auto' && flags.threads > 1 && flags.backend !== 'sim') notice('--threads applies to the sim backend; over HTTP the requests already run concurrently in one thread');
      // Look ahead far enough to tell a search large enough for auto's threads, or smaller than --threads N.
      const lookahead = flags.backend !== 'sim' ? 0 : flags.threads === 'auto' ? AUTO_THREADS_MIN.search : flags.threads;
      const { head, all: tasks } = await peekTasks(source.tasks, lookahead);
      if (flags.queue !== undefined && flags.backend !== 'sim') throw new InputError('--queue sends search tasks to dits worker processes, which search on the simulated model: it needs --backend sim');
      warnUnusedQueueFlags(cmd, flags);
      const queue = await queueFrom(flags, notice).catch(async (e: unknown) => {
        await handle.close();
        throw e;
      });
      const threads = flags.backend === 'sim' && !queue ? threadsChooser(flags.threads, flags.quiet ? () => {} : notice)('search', head.length) : 1;
      const spec = { scenario, policy: policySpec(flags.policy, params), seed: flags.seed };
      const workers = queue ? { ...queue.searcher(spec), started: () => 0 } : threads > 1 ? workerSearcher(spec, threads) : undefined;
      const inspector = progress.active && !workers ? progressInspector((p) => ((live = p), show()), { intervalMs: 200 }) : undefined;
      // Ctrl-C: stop the threads; every finished task is in the checkpoint, and --resume goes on from there.
      const stop = new AbortController();
      const onInterrupt = () => stop.abort(new Error('interrupted'));
      process.once('SIGINT', onInterrupt);
      let summary;
      let workersStarted = 0;
      try {
        summary = await runSearch(tasks, {
          scenario,
          backend,
          prepare,
          policy,
          seed: flags.seed,
          out,
          concurrency: flags.concurrency,
          formats: flags.formats,
          ...(flags.normalizer !== undefined ? { normalizer: flags.normalizer } : {}),
          onTaskDone: (tasksDone, pairs) => {
            done = tasksDone;
            pairCount = pairs;
            show();
          },
          // The restored tasks arrive at once: the time left is measured on the tasks after them.
          onResume: (restored) => progress.restart(restored, total),
          resume: flags.resume ?? false,
          fingerprint: source.description,
          signal: stop.signal,
          log: notice,
          ...(workers ? { searcher: workers.searcher } : {}),
          onTaskFailed: (f) => notice(`task ${f.taskId} failed and is left out: ${f.error}`),
          ...(inspector ? { inspect: inspector.inspect } : {}),
        });
        inspector?.flush();
      } catch (e) {
        if (stop.signal.aborted) throw new Interrupted(`interrupted; the finished tasks are kept in ${join(out, CHECKPOINT)}. Continue with the same command and --resume`);
        throw e;
      } finally {
        process.off('SIGINT', onInterrupt);
        // Erased before any summary or error is printed.
        progress.stop();
        workersStarted = workers?.started() ?? 0;
        await workers?.close();
        await queue?.close();
        await handle.close();
      }
      writeJsonAtomic(join(out, 'manifest.json'), {
        dits_version: DITS_VERSION,
        command: 'search',
        scenario: { name: scenario.name, file: scenarioFile.includes('/builtin/') ? `builtin:${scenario.name}` : scenarioFile, config: scenario },
        tasks: source.description,
        backend: handle.describe(),
        policy: { name: policy.name, source: flags.policy, ...policyFileHash(flags.policy), selections: policy.selections, rollouts: policy.rollouts, temperature: policy.temperature, params: policy.params },
        seed: flags.seed,
        task_seed: flags.taskSeed,
        formats: flags.formats,
      });
      if (!flags.quiet) {
        const s = summary;
        process.stdout.write(
          `${s.tasks} tasks  ${s.rollouts} rollouts  ${s.nodes} nodes  ${s.pairs} pairs  ${s.sftExamples} SFT examples  ` +
            `M=${s.normalizer}  mean root Q ${s.meanRootValue.toFixed(4)}  wall ${((performance.now() - started) / 1000).toFixed(2)} s ` +
            `${queue ? `through the ${queue.where}` : workersStarted > 0 ? `on ${workersStarted} worker threads` : 'in the main thread'}\nwrote ${out}\n`,
        );
      }
      if (summary.failedTasks > 0) {
        throw new PartialFailure(`${summary.failedTasks} tasks failed and were left out (see ${join(out, 'failures.jsonl')}); rerun with the same --out to retry them from the response cache`);
      }
    });
}
