/**
 * What the two ends of the Redis queue (queue-client.ts, queue-worker.ts) agree on: the queue's
 * name and key prefix, how a spec and a job are stored, and how a job is named.
 *
 * A job is a deterministic unit - one search task, or one influence probe - and its id is the
 * hash of what decides its result: its kind, its spec and its payload. The same job asked for
 * twice (a resumed run, two runs that share a stage) is therefore one job in Redis, run once,
 * and a run that comes back after a crash finds the results of the jobs that finished meanwhile.
 * Specs (scenario, model parameters, the run's task pool: megabytes) are stored once under
 * their hash; jobs carry only that hash.
 */
import { Redis } from 'ioredis';
import { InputError } from '../scenarios/errors.ts';
import type { WorkerSearchSpec } from '../engine/search/worker-spec.ts';
import type { WorkerProbeSpec } from '../engine/influence/probe-spec.ts';
import type { RunManifest } from '../actors/run-manifest.ts';
import { QueueUnavailableError } from './queue-errors.ts';
import { hashOf } from './spec-codec.ts';

/** BullMQ's key prefix: dits's queues never share keys with another application's. */
export const PREFIX = 'dits';
export const DEFAULT_QUEUE = 'dits';

/** How long a spec, a finished job and a failed one stay in Redis: long enough to resume a run the next day. */
export const KEEP_SECONDS = 7 * 24 * 3600;

export type JobKind = 'search' | 'probe' | 'run';

/** A spec as stored, with the sha256 of the policy file it names, so a worker with another file refuses it. */
export type StoredSpec =
  | { kind: 'search'; spec: WorkerSearchSpec; policySha256?: string }
  | { kind: 'probe'; spec: WorkerProbeSpec }
  | { kind: 'run'; manifest: RunManifest };

/** The data of a BullMQ job: its spec's hash and its payload (a SearchJob, or a probe's pairs), msgpack in base64. */
export interface JobData {
  spec: string;
  payload: string;
}

/** A search job's result: the task output's bytes. A probe's is its ProbeOutcome as is. */
export interface SearchResult {
  output: string;
}

/**
 * A run job's result: where its folder's files (RunFiles, msgpack) wait in Redis. Megabytes go
 * to a key of their own, not into the job, whose result BullMQ also copies into its events stream.
 */
export interface RunResult {
  files: string;
}

export const resultKey = (queue: string, id: string): string => `${PREFIX}:${queue}:result:${id}`;

export const specKey = (queue: string, hash: string): string => `${PREFIX}:${queue}:spec:${hash}`;

/** BullMQ forbids ':' in custom ids. */
export const jobId = (kind: JobKind, spec: string, payload: string): string => `${kind}-${spec}-${hashOf(Buffer.from(payload, 'base64'))}`;

/** Input errors cross the queue as this prefix of the failure reason (BullMQ keeps a message, not a class). */
const INPUT_MARK = 'input error: ';

export const failureReason = (err: unknown): Error => (err instanceof InputError ? new Error(`${INPUT_MARK}${err.message}`) : (err as Error));

export const errorFromReason = (reason: string): Error =>
  reason.startsWith(INPUT_MARK) ? new InputError(reason.slice(INPUT_MARK.length)) : new Error(`a queue worker failed: ${reason}`);

/** The URL without its password, for messages. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href.replace(/\/$/, '');
  } catch {
    return url;
  }
}

/**
 * A connection to Redis at `url`, connected, or a QueueUnavailableError that names the URL and
 * the cause. After that it reconnects by itself; BullMQ needs `maxRetriesPerRequest: null`.
 */
export async function connectRedis(url: string): Promise<Redis> {
  if (!/^rediss?:\/\//.test(url)) throw new InputError(`expected a redis:// or rediss:// URL, got '${url}'`);
  let cause = '';
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 200, 2000) });
  // ioredis emits an error per failed attempt; without a listener Node would print each.
  redis.on('error', (e: NodeJS.ErrnoException) => (cause = e.code ?? e.message));
  try {
    await redis.connect();
  } catch (e) {
    redis.disconnect();
    throw new QueueUnavailableError(`cannot reach Redis at ${shownUrl(url)} (${cause || (e as Error).message}): start redis-server there, or check the URL`);
  }
  return redis;
}
