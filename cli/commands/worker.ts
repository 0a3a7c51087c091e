/** `dits worker`: runs the search tasks, probes and runs that `dits search|run|compare --queue` send through Redis. */
import type { Command } from 'commander';
import { intOption, secondsOption } from '../options.ts';
import { QUEUE_NAME_HELP } from '../queue.ts';
import { DEFAULT_QUEUE } from '../../workers/queue.ts';

interface WorkerFlags {
  redis: string;
  queueName: string;
  concurrency: number;
  stallTimeout: number;
  maxJobs?: number;
  quiet?: boolean;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'run the jobs of dits search|run|compare --queue: search tasks, influence probes and whole runs on the simulated model, taken from the Redis at --redis. ' +
        'Start one per core, on as many machines as reach that Redis; a policy file must sit at the same path on every machine (its sha256 is checked). ' +
        'A worker that dies loses nothing: its jobs run again elsewhere after --stall-timeout. Serves until SIGINT or SIGTERM, then finishes its running jobs',
    )
    .requiredOption('--redis <url>', 'the Redis the runs send their jobs to (redis://host:port)')
    .option('--queue-name <name>', QUEUE_NAME_HELP, DEFAULT_QUEUE)
    .option('--concurrency <n>', 'jobs taken at once; they share this process\'s one thread, so more than a few only hides Redis round trips', intOption(1, 256), 4)
    .option('--stall-timeout <s>', 'a job\'s lock lasts this long unrenewed: a dead worker\'s jobs are run again after about this long', secondsOption(), 30)
    .option('--max-jobs <n>', 'stop after n jobs (the ones running then finish too), e.g. as a batch job\'s share of the work', intOption(1))
    .option('--quiet', 'print nothing but errors')
    .action(async (flags: WorkerFlags) => {
      const { serveQueue } = await import('../../workers/queue-worker.ts');
      const log = (line: string) => flags.quiet || process.stderr.write(`dits worker: ${line}\n`);
      const worker = await serveQueue(flags.redis, {
        name: flags.queueName,
        concurrency: flags.concurrency,
        stallMs: flags.stallTimeout * 1000,
        ...(flags.maxJobs !== undefined ? { maxJobs: flags.maxJobs } : {}),
        log,
      });
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          log('stopping: finishing the running jobs');
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        void worker.finished.then(stop);
      });
      await worker.close();
      log(`stopped after ${worker.done()} jobs`);
    });
}
