/** `dits sim-train`: run one training job (engine/hook/training-job.ts) on the simulated model. */
import type { Command } from 'commander';
import { readTrainingJob } from '../../engine/hook/training-job.ts';
import { runSimTrainingJob } from '../../engine/sim/train-job.ts';
import { addTaskSourceOptions } from '../task-source.ts';
import type { TaskSourceFlags } from '../task-source.ts';
import { simWorldFromFlags } from './serve-sim.ts';

interface SimTrainFlags extends TaskSourceFlags {
  scenario: string;
  taskSeed: number;
  quiet?: boolean;
}

export function registerSimTrainCommand(program: Command): void {
  const cmd = program
    .command('sim-train')
    .description(
      "run a training job on the simulated model and write the adapter (params.json) to the job's output folder: " +
        'the trainer hook for runs on the simulated model, in or out of serve-sim',
    )
    .argument('<job>', 'job.json of a training job folder, as the engine writes it')
    .requiredOption('--scenario <name|file>', 'the scenario of the run that wrote the job (built-in name or file)');
  addTaskSourceOptions(cmd)
    .option('--quiet', 'print nothing on success')
    .addHelpText('after', "\nGive the run's task-source flags too: the simulated model recognises a prompt by its task.")
    .action(async (job: string, flags: SimTrainFlags) => runSimTrain(job, flags));
}

async function runSimTrain(jobFile: string, flags: SimTrainFlags): Promise<void> {
  const job = readTrainingJob(jobFile);
  const { world } = await simWorldFromFlags(flags);
  await runSimTrainingJob(world, job);
  if (!flags.quiet) process.stdout.write(`wrote ${job.output}\n`);
}
