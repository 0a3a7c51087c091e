/**
 * The Redis queue: search tasks, probes and compare's whole runs made by `dits worker` processes
 * give the folders a local run writes, byte for byte, also when a worker is killed mid-job; a Redis that is not
 * there, or goes away, is a clear error and leaves a folder --resume continues.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, folderFiles, tempDir } from '../cli/helpers.ts';
import { tasksHeld } from './helpers.ts';
import { freePort, HAVE_REDIS, startRedis, startWorker, stopChild, type RedisServer, type WorkerProcess } from './redis.ts';

const dir = tempDir('dits-queue-');
const SEARCH = ['search', '--scenario', 'gsm8k', '--generate', '120', '--selections', '4', '--rollouts', '2', '--seed', '3', '--quiet'];
const RUN = ['run', '--iterations', '1', '--sft-tasks', '16', '--sft-samples', '2', '--search-tasks', '60', '--validation', '4', '--test-tasks', '8', '--seed', '2', '--quiet'];

describe.skipIf(!HAVE_REDIS)('the Redis queue', () => {
  let redis: RedisServer;
  const workers: WorkerProcess[] = [];
  const worker = (queue: string, args: string[] = []) => {
    const w = startWorker(redis.url, ['--queue-name', queue, ...args]);
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => stopChild(w.child, 'SIGKILL')));
    await redis?.stop();
  });

  /** Runs `args` through the queue with two workers, killing one with SIGKILL when it has taken its first job. */
  async function throughQueueKillingOne(queue: string, args: string[]) {
    const [doomed, survivor] = [worker(queue), worker(queue)];
    await Promise.all([doomed.waitFor(/serving queue/), survivor.waitFor(/serving queue/)]);
    // It prints that line while it holds its first job: the run can only finish if that job is run again elsewhere.
    const killed = doomed.waitFor(/(search|run) of scenario/).then(() => stopChild(doomed.child, 'SIGKILL'));
    const r = await cli([...args, '--queue', redis.url, '--queue-name', queue]);
    await killed;
    expect(doomed.child.signalCode).toBe('SIGKILL');
    return { r, survivor };
  }

  it('a search through two workers, one killed mid-job, writes the local folder byte for byte', async () => {
    const local = await cli([...SEARCH, '--out', join(dir, 'search-local')]);
    expect(local.status, local.stderr).toBe(0);
    const { r, survivor } = await throughQueueKillingOne('search', [...SEARCH, '--out', join(dir, 'search-queue')]);
    expect(r.status, r.stderr).toBe(0);
    expect(folderFiles(join(dir, 'search-queue'))).toEqual(folderFiles(join(dir, 'search-local')));
    // The survivor finishes the killed worker's jobs, and says how many it did when stopped.
    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
    const done = Number(/stopped after (\d+) jobs/.exec(survivor.log())?.[1]);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThanOrEqual(120);
  }, 120_000);

  it('a one-iteration run through two workers, one killed mid-job, writes the local folder byte for byte (meters counted once)', async () => {
    const local = await cli([...RUN, '--out', join(dir, 'run-local')]);
    expect(local.status, local.stderr).toBe(0);
    const { r } = await throughQueueKillingOne('run', [...RUN, '--out', join(dir, 'run-queue')]);
    expect(r.status, r.stderr).toBe(0);
    expect(folderFiles(join(dir, 'run-queue'))).toEqual(folderFiles(join(dir, 'run-local')));
  }, 120_000);

  it('a comparison whose runs are made by two workers, one killed mid-run, writes the local folder byte for byte', async () => {
    const COMPARE = ['compare', '--seeds', '2', '--sft-tasks', '8', '--sft-samples', '2', '--search-tasks', '6', '--validation', '4', '--test-tasks', '10', '--dpo-seeds', '2', '--no-expected-metric', '--shares', '', '--quiet'];
    const local = await cli([...COMPARE, '--out', join(dir, 'compare-local')]);
    expect(local.status, local.stderr).toBe(0);
    const { r } = await throughQueueKillingOne('compare', [...COMPARE, '--out', join(dir, 'compare-queue')]);
    expect(r.status, r.stderr).toBe(0);
    expect(folderFiles(join(dir, 'compare-queue'))).toEqual(folderFiles(join(dir, 'compare-local')));
  }, 120_000);

  it('the same search twice in a row (the same job ids, asked again while the first run removes them) gives the same folder', async () => {
    worker('again');
    worker('again');
    const args = ['search', '--scenario', 'gsm8k', '--generate', '200', '--seed', '4', '--quiet', '--queue', redis.url, '--queue-name', 'again'];
    for (const n of [1, 2, 3]) {
      const r = await cli([...args, '--out', join(dir, `again-${n}`)]);
      expect(r.status, r.stderr).toBe(0);
    }
    expect(folderFiles(join(dir, 'again-2'))).toEqual(folderFiles(join(dir, 'again-1')));
    expect(folderFiles(join(dir, 'again-3'))).toEqual(folderFiles(join(dir, 'again-1')));
  }, 60_000);

  it('says when no worker serves the queue, and goes on when one starts', async () => {
    const search = cli(['search', '--scenario', 'gsm8k', '--generate', '10', '--quiet', '--out', join(dir, 'late'), '--queue', redis.url, '--queue-name', 'late']);
    // The client looks every 5 s; a worker that starts after the first look is heard of.
    await new Promise((r) => setTimeout(r, 6000));
    worker('late');
    const r = await search;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`dits: no dits worker serves the queue 'late' at ${redis.url} yet; the jobs wait for one: dits worker --redis ${redis.url} --queue-name late`);
  }, 60_000);

  it("a policy's fault in a worker is the same input error as in process: exit 2, one line", async () => {
    worker('faults');
    const r = await cli(['search', '--scenario', 'gsm8k', '--generate', '4', '--policy', 'test/fixtures/policies/returns-terminal.ts', '--out', join(dir, 'fault'), '--quiet', '--queue', redis.url, '--queue-name', 'faults']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^dits: search of task gen-arith-\d+ failed: policy returns-terminal, selection \d+: select\(\) chose a node that cannot be expanded/);
  }, 60_000);
});

describe.skipIf(!HAVE_REDIS)('without Redis', () => {
  it('search --queue and dits worker name the unreachable URL and exit 1, and search leaves no folder', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const out = join(dir, 'no-redis');
    const r = await cli([...SEARCH, '--queue', url, '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`dits: cannot reach Redis at ${url} (ECONNREFUSED): start redis-server there, or check the URL`);
    expect(existsSync(out)).toBe(false);
    const w = startWorker(url);
    expect(await w.exited).toBe(1);
    expect(w.log().trim()).toBe(`dits: cannot reach Redis at ${url} (ECONNREFUSED): start redis-server there, or check the URL`);
  }, 60_000);

  it('Redis lost mid-search stops the search after --queue-timeout, and --resume finishes it to the local folder', async () => {
    const redis = await startRedis();
    const out = join(dir, 'lost');
    const args = [...SEARCH, '--out', out, '--queue-name', 'lost', '--queue-timeout', '0.5'];
    // A worker that stops after 30 jobs: the search is then part-way, and waits.
    let w = startWorker(redis.url, ['--queue-name', 'lost', '--concurrency', '1', '--max-jobs', '30']);
    try {
      const search = cli([...args, '--queue', redis.url]);
      expect(await w.exited).toBe(0);
      await redis.stop();
      const r = await search;
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`dits: lost Redis at ${redis.url} for 0.5 s; the finished work is kept: start Redis again and continue (search and run: --resume; compare: the same command)`);
      await stopChild(w.child, 'SIGKILL');

      const again = await startRedis(redis.port);
      w = startWorker(again.url, ['--queue-name', 'lost']);
      const resumed = await cli([...args, '--queue', again.url, '--resume']);
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(tasksHeld(resumed.stderr)).toBeGreaterThanOrEqual(30);
      await again.stop();
      const local = await cli([...SEARCH, '--out', join(dir, 'lost-local')]);
      expect(local.status).toBe(0);
      expect(folderFiles(out)).toEqual(folderFiles(join(dir, 'lost-local')));
    } finally {
      await stopChild(w.child, 'SIGKILL');
      await redis.stop();
    }
  }, 120_000);
});
