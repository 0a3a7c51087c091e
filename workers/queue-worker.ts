/**
 * `dits worker`'s loop: takes jobs off the Redis queue (queue.ts) and runs them with the same
 * runners as the worker threads (search-runner.ts, probe-runner.ts), so a job's result is the
 * one a thread of the asking run would give; a whole run (compare's) is made as in process
 * (run-runner.ts). A spec is fetched once and its runner kept for the
 * jobs after it. A job holds a lock the worker renews; a worker that dies lets its lock lapse,
 * and another worker's stall check puts the job back in line.
 */
import { hostname } from 'node:os';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { InputError } from '../scenarios/errors.ts';
import type { PreferenceExample } from '../engine/base/trainer.ts';
import { policyRef } from '../engine/search/policy-ref.ts';
import { searchRunner, type SearchJob } from './search-runner.ts';
import { probeRunner } from './probe-runner.ts';
import { makeRun } from './run-runner.ts';
import {
  connectRedis,
  failureReason,
  KEEP_SECONDS,
  PREFIX,
  resultKey,
  shownUrl,
  specKey,
  type JobData,
  type JobKind,
  type RunResult,
  type SearchResult,
  type StoredSpec,
} from './queue.ts';
import { pack, unpack } from './spec-codec.ts';

export interface WorkerOptions {
  name: string;
  /** Jobs run at once in this process (they share its one thread: more only hides Redis round trips). */
  concurrency: number;
  /** How long a job's lock lasts without renewal: a dead worker's job is run elsewhere after about this long. */
  stallMs: number;
  /** Stop taking jobs after this many have finished (a batch job's share of the work). */
  maxJobs?: number;
  log: (line: string) => void;
}

export interface QueueWorker {
  /** Jobs this worker finished. */
  done(): number;
  /** Resolves when --max-jobs jobs have finished; never without it. */
  finished: Promise<void>;
  /** Stops taking jobs and waits for the ones running. */
  close(): Promise<void>;
}

/** Runners of the last few specs seen: a run's stages come one after another. */
const KEPT_SPECS = 4;

/** Runs a job's payload; `id` names the job, for results kept beside it. */
type Runner = (payload: unknown, id: string) => Promise<unknown>;

export async function serveQueue(url: string, options: WorkerOptions): Promise<QueueWorker> {
  const redis = await connectRedis(url);
  const runners = new Map<string, Promise<Runner>>();
  let done = 0;
  let finish = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const runnerFor = (hash: string): Promise<Runner> => {
    let runner = runners.get(hash);
    if (!runner) {
      runner = load(redis, options, hash);
      runners.set(hash, runner);
      // A spec that failed to load is asked for again by the next job, not remembered.
      runner.catch(() => runners.delete(hash));
      for (const old of runners.keys()) if (runners.size > KEPT_SPECS) runners.delete(old);
    }
    return runner;
  };

  const worker = new Worker<JobData, unknown, JobKind>(
    options.name,
    async (job: Job<JobData, unknown, JobKind>) => {
      try {
        const run = await runnerFor(job.data.spec);
        const result = await run(unpack(Buffer.from(job.data.payload, 'base64')), job.id as string);
        if (++done === options.maxJobs) finish();
        return result;
      } catch (e) {
        throw failureReason(e);
      }
    },
    {
      connection: await connectRedis(url),
      prefix: PREFIX,
      concurrency: options.concurrency,
      lockDuration: options.stallMs,
      stalledInterval: options.stallMs,
      // A job whose worker died is run again; one that stalls this often is failing workers, not unlucky.
      maxStalledCount: 3,
    },
  );
  // An outage is told once, and its end; the errors of each reconnection attempt are not.
  let closing = false;
  let down = false;
  worker.on('error', (e) => down || options.log(`queue error: ${e.message}`));
  redis.on('close', () => {
    if (closing || down) return;
    down = true;
    options.log(`lost Redis at ${shownUrl(url)}; reconnecting`);
  });
  redis.on('ready', () => {
    if (down) options.log(`Redis at ${shownUrl(url)} is back`);
    down = false;
  });
  await worker.waitUntilReady();
  options.log(`serving ${`queue '${options.name}' at ${shownUrl(url)}`} on ${hostname()} (pid ${process.pid}), ${options.concurrency} jobs at a time`);
  return {
    done: () => done,
    finished,
    async close() {
      closing = true;
      await worker.close();
      await worker.disconnect();
      redis.disconnect();
    },
  };
}

/** The runner of the spec stored under `hash`. */
async function load(redis: Redis, options: WorkerOptions, hash: string): Promise<Runner> {
  const bytes = await redis.getBuffer(specKey(options.name, hash));
  if (!bytes) throw new Error(`spec ${hash} is not in Redis (expired, or the queue was emptied): rerun the stage`);
  const stored = unpack<StoredSpec>(bytes);
  if (stored.kind === 'run') {
    const { config } = stored.manifest;
    options.log(`run of scenario ${config.scenario.name}, selection ${config.selection.mode}, seed ${config.seed} (spec ${hash.slice(0, 8)})`);
    return async (_payload, id) => {
      const key = resultKey(options.name, id);
      await redis.set(key, pack(await makeRun(stored.manifest)), 'EX', KEEP_SECONDS);
      return { files: key } satisfies RunResult;
    };
  }
  if (stored.kind === 'probe') {
    options.log(`probes for scenario ${stored.spec.scenario.name} (spec ${hash.slice(0, 8)})`);
    const probe = probeRunner(stored.spec);
    return (pairs) => probe(pairs as PreferenceExample[]);
  }
  const { spec, policySha256 } = stored;
  // The policy file must be the asking run's, byte for byte, or the outputs would silently differ.
  if (policySha256 && policyRef(spec.policy.source, spec.policy.params).sha256 !== policySha256) {
    throw new InputError(`${spec.policy.source} on worker ${hostname()} differs from the run's policy file (sha256 ${policySha256.slice(0, 12)}...): copy the run's file there`);
  }
  options.log(`search of scenario ${spec.scenario.name} with policy ${spec.policy.source} (spec ${hash.slice(0, 8)})`);
  const search = searchRunner(spec);
  return async (job) => ({ output: Buffer.from(await search(job as SearchJob)).toString('base64') }) satisfies SearchResult;
}
