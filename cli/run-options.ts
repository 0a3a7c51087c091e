/** The size flags of `dits run` and `dits compare`, and how many final DPOs each iteration trains, defined once. */
import type { Command } from 'commander';
import type { RunSizes } from '../engine/base/run-sizes.ts';
import { intOption } from './options.ts';

export interface RunSizeFlags {
  iterations: number;
  sftTasks: number;
  sftSamples: number;
  searchTasks: number;
  validation: number;
  testTasks: number;
  groupSize: number;
  dpoSeeds: number;
}

/** Adds the flags; `defaults` are the command's own (a comparison defaults to one iteration, more test tasks and several DPO seeds). */
export function addRunSizeOptions(cmd: Command, defaults: { iterations: number; testTasks: number; dpoSeeds: number }): Command {
  return cmd
    .option('--iterations <n>', 'iterations T', intOption(1, 100), defaults.iterations)
    .option('--sft-tasks <n>', 'tasks sampled for SFT data per iteration', intOption(1), 100)
    .option('--sft-samples <n>', 'dialogues sampled per SFT task (§2.2)', intOption(1, 100), 10)
    .option('--search-tasks <n>', 'tasks searched per iteration', intOption(1), 100)
    .option('--validation <n>', 'validation tasks V of every probe (§3.2)', intOption(1), 20)
    .option('--test-tasks <n>', 'test tasks evaluated after each iteration', intOption(1), defaults.testTasks)
    .option('--group-size <n>', 'pairs per influence probe (1 = per-pair influence)', intOption(1), 5)
    .option('--dpo-seeds <n>', 'final DPOs per iteration, each in its own batch order; the first is the model the next iteration starts from, all are evaluated', intOption(1, 100), defaults.dpoSeeds);
}

export function runSizes(flags: RunSizeFlags): RunSizes {
  return {
    iterations: flags.iterations,
    sftTasks: flags.sftTasks,
    sftSamples: flags.sftSamples,
    searchTasks: flags.searchTasks,
    validationTasks: flags.validation,
    testTasks: flags.testTasks,
    groupSize: flags.groupSize,
  };
}
