/** `dits simulate`: run one dialogue per task and write scored trajectories. */
import { join } from 'node:path';
import { claimOutFolder } from '../out-folder.ts';
import type { Command } from 'commander';
import { loadScenario } from './scenario.ts';
import { InputError } from '../../scenarios/errors.ts';
import { JsonlWriter, writeJsonAtomic } from '../../engine/storage/files.ts';
import { simulate } from '../../engine/dialogue/simulate.ts';
import { floatOption, intOption } from '../options.ts';
import { progressBar } from '../progress.ts';
import { addTaskSourceOptions, openTaskSource, warnUnusedTaskFlags, type TaskSourceFlags } from '../task-source.ts';
import { addBackendOptions, createBackend, type BackendFlags } from '../backend.ts';
import { DITS_VERSION } from '../../engine/base/version.ts';

interface SimulateFlags extends TaskSourceFlags, BackendFlags {
  scenario: string;
  taskSeed: number;
  seed: number;
  temperature: number;
  concurrency: number;
  normalizer?: number;
  out?: string;
  overwrite?: boolean;
  quiet?: boolean;
}

export function registerSimulateCommand(program: Command): void {
  const cmd = program
    .command('simulate')
    .description('run one dialogue per task with a backend; write trajectories.jsonl, summary.json and manifest.json')
    .requiredOption('--scenario <name|file>', 'built-in scenario name (see `dits scenario list`) or scenario file');
  addBackendOptions(addTaskSourceOptions(cmd))
    .option('--seed <n>', 'run seed: every sampling and context split is keyed by it', intOption(0, 2 ** 32 - 1), 0)
    .option('--temperature <t>', 'sampling temperature (0 = greedy)', floatOption(0, 5), 0.7)
    .option('--concurrency <n>', 'dialogues in flight at once', intOption(1, 4096), 16)
    .option('--normalizer <m>', 'token normalizer M of the reward (default: P80 of the first 100 dialogues + 1)', floatOption(1, 1e9))
    .option('--out <dir>', 'run folder (default: runs/simulate-<scenario>-seed<seed>); a finished one is refused unless --overwrite')
    .option('--overwrite', 'replace what a dits folder at --out holds')
    .option('--quiet', 'no progress bar and no summary on stdout')
    .action(async (flags: SimulateFlags, cmd: Command) => {
      warnUnusedTaskFlags(cmd, flags);
      await runSimulate(flags);
    });
}

async function runSimulate(flags: SimulateFlags): Promise<void> {
  const started = performance.now();
  const { scenario, file: scenarioFile } = loadScenario(flags.scenario);
  const out = flags.out ?? join('runs', `simulate-${scenario.name}-seed${flags.seed}`);
  claimOutFolder(out, { ...(flags.overwrite ? { overwrite: true } : {}) });
  let badRows = 0;
  const source = openTaskSource(scenario, flags, flags.taskSeed, (err) => {
    badRows++;
    process.stderr.write(`dits: skipped bad row: ${err.message}\n`);
  });
  const handle = await createBackend(flags, scenario, { out, ...(flags.quiet !== undefined ? { quiet: flags.quiet } : {}) });
  const { backend, prepare } = handle;
  const total = source.description.kind === 'generated' ? source.description.count : flags.limit;
  const progress = progressBar('simulate', total, flags.quiet ?? false);
  const writer = new JsonlWriter(join(out, 'trajectories.jsonl'));
  let scoreSum = 0;
  let summary;
  try {
    summary = await simulate(source.tasks, {
      scenario,
      backend,
      seed: flags.seed,
      temperature: flags.temperature,
      concurrency: flags.concurrency,
      ...(flags.normalizer !== undefined ? { normalizer: flags.normalizer } : {}),
      prepare,
      onTrajectory: (t) => writer.write(t),
      onProgress: (done, last) => {
        scoreSum += last.score;
        progress.update(done, `mean ${scenario.metric} ${(scoreSum / done).toFixed(3)}`);
      },
    });
  } finally {
    progress.stop();
    await handle.close();
  }
  await writer.close();
  if (summary.dialogues === 0) throw new InputError('no tasks to simulate: the task source is empty');

  writeJsonAtomic(join(out, 'summary.json'), {
    dialogues: summary.dialogues,
    mean_score: summary.meanScore,
    mean_tokens: summary.meanTokens,
    mean_reward: summary.meanReward,
    normalizer: summary.normalizer,
    bad_rows_skipped: badRows,
  });
  writeJsonAtomic(join(out, 'manifest.json'), {
    dits_version: DITS_VERSION,
    command: 'simulate',
    scenario: { name: scenario.name, file: scenarioFile.includes('/builtin/') ? `builtin:${scenario.name}` : scenarioFile, config: scenario },
    tasks: source.description,
    backend: handle.describe(),
    seed: flags.seed,
    task_seed: flags.taskSeed,
    temperature: flags.temperature,
  });
  if (!flags.quiet) {
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `${summary.dialogues} dialogues  mean ${scenario.metric} ${summary.meanScore.toFixed(4)}  mean tokens ${summary.meanTokens.toFixed(1)}  ` +
        `mean reward ${summary.meanReward.toFixed(4)}  wall ${seconds.toFixed(2)} s\n` +
        `wrote ${join(out, 'trajectories.jsonl')}\n`,
    );
  }
}
