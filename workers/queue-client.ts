/**
 * The run's end of the Redis queue: search tasks and influence probes go out as BullMQ jobs
 * (queue.ts says how they are named and stored) to `dits worker` processes on any machine, and
 * their results come back to the stage that asked for them, which keeps them in task order
 * (ordered-searcher.ts) and charges their spending once. A worker killed mid-job loses nothing:
 * its lock expires and another worker runs the job again; the run hears of one result only.
 */
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Meter } from '../engine/base/budget.ts';
import type { WorkerSearchSpec } from '../engine/search/worker-spec.ts';
import type { WorkerProbeSpec } from '../engine/influence/probe-spec.ts';
import type { PreferenceExample } from '../engine/base/trainer.ts';
import { policyRef } from '../engine/search/policy-ref.ts';
import type { TaskSearcher } from '../actors/run-search.ts';
import { orderedSearcher } from './ordered-searcher.ts';
import type { RunFiles } from './run-runner.ts';
import type { RunManifest } from '../actors/run-manifest.ts';
import type { ProbeOutcome } from './probe-runner.ts';
import { QueueUnavailableError } from './queue-errors.ts';
import {
  connectRedis,
  errorFromReason,
  jobId,
  KEEP_SECONDS,
  PREFIX,
  shownUrl,
  specKey,
  type JobData,
  type JobKind,
  type RunResult,
  type SearchResult,
  type StoredSpec,
} from './queue.ts';
import { hashOf, pack, unpack } from './spec-codec.ts';

export interface QueueOptions {
  /** The queue's name; workers must serve the same one. */
  name: string;
  /** How long Redis may be unreachable before the run stops (its folder stays resumable). */
  downTimeoutMs: number;
  /** Jobs a stage keeps in flight. */
  window: number;
  /** Notices for the user (no worker serves the queue). */
  log?: (line: string) => void;
}

export interface QueueClient {
  searcher(spec: WorkerSearchSpec): { searcher: TaskSearcher; close(): Promise<void> };
  prober(spec: WorkerProbeSpec, meter: Meter): { probe(pairs: readonly PreferenceExample[]): Promise<number>; close(): Promise<void> };
  /** Makes a whole run's folder in a worker: its files. */
  makeRun(manifest: RunManifest): Promise<RunFiles>;
  /** Where the jobs go, for messages. */
  readonly where: string;
  /** Jobs in flight a stage may keep. */
  readonly window: number;
  close(): Promise<void>;
}

/** A missed event (the events stream is trimmed) must not leave a stage waiting: jobs waited on this long are looked up. */
const POLL_MS = 5000;

interface Waiter {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export async function openQueue(url: string, options: QueueOptions): Promise<QueueClient> {
  const where = `queue '${options.name}' at ${shownUrl(url)}`;
  const connections: Redis[] = [];
  const connect = async () => {
    const c = await connectRedis(url);
    connections.push(c);
    return c;
  };
  let lost: QueueUnavailableError | undefined;
  // Commands wait for Redis to come back (BullMQ needs that): a lost Redis ends the waits.
  let rejectLost: (err: unknown) => void = () => {};
  const whenLost = new Promise<never>((_, reject) => (rejectLost = reject));
  whenLost.catch(() => undefined);
  const guarded = <T>(p: Promise<T>): Promise<T> => Promise.race([p, whenLost]);
  const waiting = new Map<string, Waiter[]>();
  const settle = (id: string, outcome: { value: unknown } | { error: unknown }) => {
    const waiters = waiting.get(id);
    if (!waiters) return;
    waiting.delete(id);
    for (const w of waiters) 'value' in outcome ? w.resolve(outcome.value) : w.reject(outcome.error);
  };
  const fail = (err: QueueUnavailableError) => {
    lost ??= err;
    rejectLost(lost);
    for (const id of [...waiting.keys()]) settle(id, { error: lost });
  };

  try {
    const redis = await connect();
    const queue = new Queue(options.name, { connection: redis, prefix: PREFIX, streams: { events: { maxLen: 2000 } } });
    const events = new QueueEvents(options.name, { connection: await connect(), prefix: PREFIX });
    await events.waitUntilReady();
    for (const c of connections) watch(c, options.downTimeoutMs, () => fail(new QueueUnavailableError(`lost Redis at ${shownUrl(url)} for ${options.downTimeoutMs / 1000} s; the finished work is kept: start Redis again and continue (search and run: --resume; compare: the same command)`)));
    // Errors reach the watch above through the connections; BullMQ's own would otherwise be printed.
    queue.on('error', () => {});
    events.on('error', () => {});

    /** The jobs waited on, to add again one that went missing. */
    const added = new Map<string, { kind: JobKind; data: JobData }>();
    /**
     * Settles the waiters of a job that is done. A job found failed when it is asked for again
     * failed for an earlier run (a worker without the policy file, say): it is run once more.
     */
    const take = async (id: string, again: boolean) => {
      // The state first, then the job: a job read before it completed would have no result yet.
      const state = await queue.getJobState(id);
      const job = state === 'completed' || state === 'failed' ? await Job.fromId(queue, id) : undefined;
      if (!job) {
        // Gone: removed by another run that shared it, after it completed. Asked again, it runs again.
        const asked = state === 'unknown' ? added.get(id) : undefined;
        if (asked) await queue.add(asked.kind, asked.data, jobOptions(id));
        return;
      }
      if (state === 'completed') settle(id, { value: job.returnvalue });
      else if (again) await job.retry('failed');
      else settle(id, { error: errorFromReason(job.failedReason) });
    };
    events.on('completed', ({ jobId: id, returnvalue }) => settle(id, { value: returnvalue }));
    events.on('failed', ({ jobId: id, failedReason }) => settle(id, { error: errorFromReason(failedReason) }));
    let toldNoWorker = false;
    const poll = setInterval(() => {
      for (const id of waiting.keys()) void take(id, false).catch(() => undefined);
      if (waiting.size > 0 && !toldNoWorker) {
        void queue.getWorkersCount().then((n) => {
          if (n > 0 || toldNoWorker) return;
          toldNoWorker = true;
          options.log?.(`no dits worker serves the ${where} yet; the jobs wait for one: dits worker --redis ${shownUrl(url)} --queue-name ${options.name}`);
        }, () => undefined);
      }
    }, POLL_MS);
    poll.unref();

    const stored = new Map<string, Promise<string>>();
    const store = (value: StoredSpec): Promise<string> => {
      const bytes = pack(value);
      const hash = hashOf(bytes);
      let done = stored.get(hash);
      if (!done) {
        done = guarded(redis.set(specKey(options.name, hash), bytes, 'EX', KEEP_SECONDS)).then(() => hash);
        stored.set(hash, done);
      }
      return done;
    };

    /** Runs one job through the queue: its result, once, however many workers ran it. */
    const run = async (kind: JobKind, spec: Promise<string>, payload: unknown): Promise<unknown> => {
      if (lost) throw lost;
      const data: JobData = { spec: await spec, payload: pack(payload).toString('base64') };
      const id = jobId(kind, data.spec, data.payload);
      const result = new Promise((resolve, reject) => {
        waiting.set(id, [...(waiting.get(id) ?? []), { resolve, reject }]);
      });
      // A job of the same id already there (a resumed run's) is not added again: its state says whether it is done.
      added.set(id, { kind, data });
      await guarded(queue.add(kind, data, jobOptions(id)));
      await guarded(take(id, true));
      const value = await result.finally(() => added.delete(id));
      // Its result is the stage's now; Redis need not keep it.
      void queue.remove(id).catch(() => undefined);
      return value;
    };

    return {
      where,
      window: options.window,
      searcher(spec) {
        const policySha256 = policyRef(spec.policy.source, spec.policy.params).sha256;
        const hash = store({ kind: 'search', spec, ...(policySha256 ? { policySha256 } : {}) });
        const searcher = orderedSearcher({
          send: async (job) => Buffer.from(((await run('search', hash, job)) as SearchResult).output, 'base64'),
          window: options.window,
          worldTasks: spec.worldTasks !== undefined,
          // Jobs in flight go on in the workers; a resumed run finds their results.
          abandon: () => {},
        });
        return { searcher, close: async () => {} };
      },
      prober(spec, meter) {
        const hash = store({ kind: 'probe', spec });
        return {
          async probe(pairs) {
            const outcome = (await run('probe', hash, [...pairs])) as ProbeOutcome;
            meter.charge(outcome.spent);
            return outcome.metric;
          },
          close: async () => {},
        };
      },
      async makeRun(manifest) {
        const { files: key } = (await run('run', store({ kind: 'run', manifest }), null)) as RunResult;
        const bytes = await guarded(redis.getBuffer(key));
        if (!bytes) throw new Error(`a worker made the run of ${manifest.config.scenario.name} seed ${manifest.config.seed}, but its files are gone from Redis (${key}): rerun the comparison`);
        void redis.del(key).catch(() => undefined);
        return unpack<RunFiles>(bytes);
      },
      async close() {
        clearInterval(poll);
        // BullMQ's close sends commands, which a lost Redis would keep waiting forever.
        if (!lost) await guarded(Promise.all([events.close(), queue.close()])).catch(() => undefined);
        for (const c of connections) c.disconnect();
      },
    };
  } catch (e) {
    for (const c of connections) c.disconnect();
    throw e;
  }
}

const jobOptions = (id: string) => ({ jobId: id, attempts: 1, removeOnComplete: { age: KEEP_SECONDS }, removeOnFail: { age: KEEP_SECONDS } });

/** Calls `onLost` when `redis` has been disconnected for `timeoutMs` without getting back. */
function watch(redis: Redis, timeoutMs: number, onLost: () => void): void {
  let timer: NodeJS.Timeout | undefined;
  redis.on('close', () => {
    // Unref'd: a client that closes its connections must not be held open by the timer.
    timer ??= setTimeout(onLost, timeoutMs).unref();
  });
  redis.on('ready', () => {
    clearTimeout(timer);
    timer = undefined;
  });
}
