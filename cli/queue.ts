/**
 * `--queue redis://...` on search and run: their search tasks and probes go as jobs to `dits
 * worker` processes through Redis (workers/queue-client.ts), and the folders are the ones a
 * local run writes. BullMQ loads only when the flag is given.
 */
import type { Command } from 'commander';
import type { RunWorkers } from '../actors/run-stages.ts';
import type { QueueClient } from '../workers/queue-client.ts';
import { DEFAULT_QUEUE } from '../workers/queue.ts';
import { givenFlags, intOption, secondsOption, warnIgnored } from './options.ts';

export interface QueueFlags {
  queue?: string;
  queueName: string;
  queueTimeout: number;
  /** Absent where the command has no window (compare). */
  queueWindow?: number;
}

export const QUEUE_NAME_HELP = 'the queue\'s name in Redis: runs and workers of one name share their jobs';

/** The queue's options; `window: false` for a command whose jobs all go at once (compare's runs). */
export function addQueueOptions(cmd: Command, what: string, { window = true } = {}): Command {
  cmd
    .option('--queue <url>', `send ${what} as jobs to dits worker processes through the Redis at this URL (redis://host:port); outputs do not depend on it`)
    .option('--queue-name <name>', QUEUE_NAME_HELP, DEFAULT_QUEUE)
    .option('--queue-timeout <s>', '--queue: how long Redis may be unreachable before the command stops (what finished is kept; running it again continues)', secondsOption(), 30);
  return window ? cmd.option('--queue-window <n>', '--queue: jobs a stage keeps in flight', intOption(1, 100_000), 64) : cmd;
}

/** Warns of the queue's flags given without --queue, and of --threads given with it. */
export function warnUnusedQueueFlags(cmd: Command, flags: QueueFlags): void {
  if (flags.queue === undefined) warnIgnored(givenFlags(cmd, ['queueName', 'queueTimeout', 'queueWindow']), 'they apply to --queue, which is not given');
  else warnIgnored(givenFlags(cmd, ['threads']), '--queue sends the work to dits worker processes');
}

/** The queue `--queue` names, connected; undefined without the flag. */
export async function queueFrom(flags: QueueFlags, log: (line: string) => void): Promise<QueueClient | undefined> {
  if (flags.queue === undefined) return undefined;
  const { openQueue } = await import('../workers/queue-client.ts');
  return openQueue(flags.queue, { name: flags.queueName, downTimeoutMs: flags.queueTimeout * 1000, window: flags.queueWindow ?? 64, log });
}

/** A run's stages on the queue: every stage that can leave the main thread does. */
export function queueWorkers(client: QueueClient): RunWorkers {
  return {
    // The window of jobs in flight plays the part of the thread count (a probe stage keeps 8 per "thread").
    threads: () => Math.max(2, Math.ceil(client.window / 8)),
    search: (spec) => client.searcher(spec),
    probes: (spec, _threads, meter) => client.prober(spec, meter),
  };
}
