/** `dits analyze`: analyses of a finished `dits run` folder. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { InputError } from '../../scenarios/errors.ts';
import { createRunEnv } from '../../actors/run-env.ts';
import { MANIFEST, readManifest } from '../../actors/run-manifest.ts';
import { iterDir, type RunEnv } from '../../actors/run-stages.ts';
import { DEFAULT_UTILITY_REPEATS, DEFAULT_UTILITY_SAMPLE, writeUtility } from '../../actors/analyze.ts';
import { DEFAULT_BOOTSTRAP, DEFAULT_SUBSET_ALPHA, DEFAULT_SUBSETS, writeSubsetUtility } from '../../actors/analyze-subsets.ts';
import { floatOption, intOption } from '../options.ts';
import { progressBar } from '../progress.ts';

const METHODS = ['leave-one-out', 'subsets'] as const;
type Method = (typeof METHODS)[number];
/** Flags that only one method reads: giving one to the other method is a usage error, not silently ignored. */
const METHOD_FLAGS: Record<Method, readonly string[]> = { 'leave-one-out': ['sample', 'repeats'], subsets: ['subsets', 'alpha', 'bootstrap'] };

interface UtilityFlags {
  method: Method;
  iteration?: number;
  sample: number;
  seed?: number;
  repeats: number;
  subsets: number;
  alpha: number;
  bootstrap: number;
  quiet?: boolean;
}

function method(value: string): Method {
  if (!(METHODS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${METHODS.join(', ')}`);
  return value as Method;
}

function openShare(value: string): number {
  const a = floatOption(0, 1)(value);
  if (a === 0 || a === 1) throw new InvalidArgumentError(`expected a share strictly between 0 and 1, got ${a}`);
  return a;
}

/**
 * Progress on stderr: a bar with counts and time left on a terminal; elsewhere (a log) a line
 * at every tenth, so the minutes of a subsets analysis are visible without flooding the log.
 */
function modelProgress(label: string, quiet: boolean): { onModel?: (done: number, total: number) => void; stop(): void } {
  if (quiet) return { stop() {} };
  let bar: ReturnType<typeof progressBar> | undefined;
  let lastTenth = 0;
  return {
    onModel: (done, total) => {
      if (process.stderr.isTTY) {
        bar ??= progressBar(label, total, false);
        bar.update(done);
        return;
      }
      const tenth = Math.floor((10 * done) / total);
      if (tenth > lastTenth || done === total) process.stderr.write(`${label} ${done}/${total}\n`);
      lastTenth = tenth;
    },
    stop: () => bar?.stop(),
  };
}

/** The environment `dits run` built for the folder (actors/run-env.ts), rebuilt from its manifest. */
async function runEnvFromFolder(out: string): Promise<RunEnv> {
  const manifest = readManifest(out);
  if (!manifest) throw new InputError(`${out}: no ${MANIFEST}; is it a folder written by dits run?`);
  if (manifest.command !== 'run') throw new InputError(`${join(out, MANIFEST)}: written by dits ${String(manifest.command)}, not dits run`);
  return createRunEnv(out, manifest);
}

/** The iterations whose probes stage has written its outputs. */
function probedIterations(env: RunEnv): number[] {
  return Array.from({ length: env.config.iterations }, (_, t) => t).filter((t) => existsSync(join(iterDir(env, t), 'influence.json')));
}

export function registerAnalyzeCommands(program: Command): void {
  const analyze = program.command('analyze').description('analyses of a dits run folder');
  analyze
    .command('utility')
    .description(
      'data utility (the DITS paper\'s Figure 2(a)) against mean Q, probe influence and the first-order estimate. ' +
        'leave-one-out: for a seeded sample of probe groups, the test gain of DPO on the candidate pool with vs without the group (iter-t/utility.md, utility.json, utility.svg). ' +
        'subsets: DPO on R random alpha-subsets of the groups, each group\'s value by least squares on the inclusion indicators, with R², a split-half check and bootstrap intervals (iter-t/utility-subsets.md, utility-subsets.json)',
    )
    .argument('<run>', 'run folder written by `dits run`')
    .option('--method <m>', `${METHODS.join(' or ')}`, method, 'leave-one-out')
    .option('--iteration <t>', 'iteration to analyse (default: the last one probed)', intOption(0))
    .option('--seed <n>', 'seed of the group sample or the subsets and bootstrap (default: the run seed)', intOption(0, 2 ** 32 - 1))
    .option('--sample <n>', 'leave-one-out: probe groups to measure', intOption(1), DEFAULT_UTILITY_SAMPLE)
    .option('--repeats <r>', 'leave-one-out: DPO seeds each metric is averaged over (the first is the run\'s own)', intOption(1, 1000), DEFAULT_UTILITY_REPEATS)
    .option('--subsets <R>', 'subsets: random subsets trained and evaluated', intOption(4, 100_000), DEFAULT_SUBSETS)
    .option('--alpha <a>', 'subsets: share of the groups in each subset, in (0, 1)', openShare, DEFAULT_SUBSET_ALPHA)
    .option('--bootstrap <B>', 'subsets: bootstrap resamples of the correlation intervals', intOption(1, 1_000_000), DEFAULT_BOOTSTRAP)
    .option('--quiet', 'write the files, print nothing')
    .action(async (run: string, flags: UtilityFlags, cmd: Command) => {
      const other = METHODS.find((m) => m !== flags.method) as Method;
      const misplaced = METHOD_FLAGS[other].filter((f) => cmd.getOptionValueSource(f) === 'cli');
      if (misplaced.length > 0) throw new InputError(`${misplaced.map((f) => `--${f}`).join(', ')} belong${misplaced.length === 1 ? 's' : ''} to --method ${other}, not ${flags.method}`);
      const env = await runEnvFromFolder(run);
      const probed = probedIterations(env);
      const t = flags.iteration ?? probed.at(-1);
      if (t === undefined) throw new InputError(`${run}: no iteration has finished its probes stage (no iter-t/influence.json)`);
      if (!probed.includes(t)) {
        throw new InputError(`${run}: iteration ${t} has no influence.json (probed iterations: ${probed.length > 0 ? probed.join(', ') : 'none'})`);
      }
      const seed = flags.seed ?? env.config.seed;
      const quiet = flags.quiet === true;
      if (flags.method === 'subsets') {
        const progress = modelProgress('subsets trained and evaluated', quiet);
        const { summary } = await writeSubsetUtility(env, {
          iteration: t,
          subsets: flags.subsets,
          alpha: flags.alpha,
          seed,
          bootstrap: flags.bootstrap,
          ...(progress.onModel ? { onModel: progress.onModel } : {}),
        }).finally(() => progress.stop());
        if (!quiet) process.stdout.write(`${summary}\nPer-group values: ${join(iterDir(env, t), 'utility-subsets.md')}\n`);
        return;
      }
      const { markdown } = await writeUtility(env, {
        iteration: t,
        sample: flags.sample,
        seed,
        repeats: flags.repeats,
        ...(quiet ? {} : { onModel: (done: number, total: number) => process.stderr.write(`\rtrained and evaluated ${done}/${total} models`) }),
      });
      if (!quiet) process.stderr.write('\n');
      if (!quiet) process.stdout.write(markdown);
    });
}
