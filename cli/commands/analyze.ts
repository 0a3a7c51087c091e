/** `dits analyze`: analyses of a finished `dits run` folder. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../scenarios/errors.ts';
import { createRunEnv, MANIFEST, readManifest } from '../../actors/run-env.ts';
import { iterDir, type RunEnv } from '../../actors/run-stages.ts';
import { DEFAULT_UTILITY_REPEATS, DEFAULT_UTILITY_SAMPLE, writeUtility } from '../../actors/utility.ts';
import { intOption } from '../options.ts';

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
      'data utility (the DITS paper\'s Figure 2(a)): for a seeded sample of probe groups, the test gain of DPO on the candidate pool with vs without the group, ' +
        'against mean Q, probe influence and the first-order estimate, with Spearman correlations; writes iter-t/utility.md and utility.json',
    )
    .argument('<run>', 'run folder written by `dits run`')
    .option('--iteration <t>', 'iteration to analyse (default: the last one probed)', intOption(0))
    .option('--sample <n>', 'probe groups to measure', intOption(1), DEFAULT_UTILITY_SAMPLE)
    .option('--seed <n>', 'seed of the group sample (default: the run seed)', intOption(0, 2 ** 32 - 1))
    .option('--repeats <r>', 'DPO seeds each metric is averaged over (the first is the run\'s own)', intOption(1, 1000), DEFAULT_UTILITY_REPEATS)
    .option('--quiet', 'write the files, print nothing')
    .action(async (run: string, flags: { iteration?: number; sample: number; seed?: number; repeats: number; quiet?: boolean }) => {
      const env = await runEnvFromFolder(run);
      const probed = probedIterations(env);
      const t = flags.iteration ?? probed.at(-1);
      if (t === undefined) throw new InputError(`${run}: no iteration has finished its probes stage (no iter-t/influence.json)`);
      if (!probed.includes(t)) {
        throw new InputError(`${run}: iteration ${t} has no influence.json (probed iterations: ${probed.length > 0 ? probed.join(', ') : 'none'})`);
      }
      const { markdown } = await writeUtility(env, {
        iteration: t,
        sample: flags.sample,
        seed: flags.seed ?? env.config.seed,
        repeats: flags.repeats,
        ...(flags.quiet ? {} : { onModel: (done: number, total: number) => process.stderr.write(`\rtrained and evaluated ${done}/${total} models`) }),
      });
      if (!flags.quiet) process.stderr.write('\n');
      if (!flags.quiet) process.stdout.write(markdown);
    });
}
