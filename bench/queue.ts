/**
 * The Redis queue against the in-process search: `dits search --queue` with 1 and 2 local `dits
 * worker` processes, and `dits search --threads 1` (the main thread), all as child processes of
 * the real CLI on a private redis-server. Wall times are medians of --repeats runs.
 *
 * Per-job cost is taken by difference, as bench/threads.ts does: (t(N) - t(small)) / (N - small)
 * cancels what does not grow with the tasks (start-up, the normalizer, connecting) and keeps the
 * search plus, for the queue, a job's way through Redis (add, fetch, lock, result, event,
 * remove). The overhead per job is the queue's per-job cost with one worker minus the main
 * thread's. Workers are started once per configuration and stay warm across repeats.
 *
 *   node bin/run-ts.mjs bench/queue.ts [--tasks 1000] [--small 100] [--repeats 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runDits } from './cli-child.ts';
import { median } from './stats.ts';
import { startRedis, startWorker, stopChild } from '../test/workers/redis.ts';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '1000' },
    small: { type: 'string', default: '100' },
    repeats: { type: 'string', default: '3' },
  },
});
const N = Number(values.tasks);
const SMALL = Number(values.small);
const REPEATS = Number(values.repeats);
const work = mkdtempSync(join(tmpdir(), 'dits-bench-queue-'));

let runs = 0;
async function search(tasks: number, extra: string[]): Promise<number> {
  const out = join(work, `out-${runs++}`);
  const f = await runDits(['search', '--scenario', 'gsm8k', '--generate', String(tasks), '--quiet', '--formats', 'trl', '--out', out, ...extra]);
  rmSync(out, { recursive: true, force: true });
  return f.wallS;
}

interface Figures {
  big: number;
  small: number;
}

async function measure(extra: string[]): Promise<Figures> {
  const big: number[] = [];
  const small: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    big.push(await search(N, extra));
    small.push(await search(SMALL, extra));
  }
  return { big: median(big), small: median(small) };
}

const redis = await startRedis();
try {
  const local = await measure(['--threads', '1']);
  const queued: Record<number, Figures> = {};
  for (const count of [1, 2]) {
    const name = `bench-${count}`;
    const workers = Array.from({ length: count }, () => startWorker(redis.url, ['--queue-name', name, '--quiet']));
    // Warm: each worker loads the spec on its first job.
    await search(SMALL, ['--queue', redis.url, '--queue-name', name]);
    queued[count] = await measure(['--queue', redis.url, '--queue-name', name]);
    await Promise.all(workers.map((w) => stopChild(w.child, 'SIGTERM')));
  }
  const perJob = (f: Figures) => ((f.big - f.small) / (N - SMALL)) * 1000;
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}; ${N} and ${SMALL} gsm8k tasks, medians of ${REPEATS}`);
  console.log('| configuration | wall N (s) | wall small (s) | ms per task | tasks/s (N) | wall vs main thread |');
  console.log('|---|---|---|---|---|---|');
  const row = (label: string, f: Figures) =>
    console.log(`| ${label} | ${f.big.toFixed(2)} | ${f.small.toFixed(2)} | ${perJob(f).toFixed(2)} | ${(N / f.big).toFixed(0)} | ${(f.big / local.big).toFixed(2)} |`);
  row('main thread (--threads 1)', local);
  row('queue, 1 worker', queued[1] as Figures);
  row('queue, 2 workers', queued[2] as Figures);
  console.log(`overhead per job (1 worker - main thread): ${(perJob(queued[1] as Figures) - perJob(local)).toFixed(2)} ms`);
} finally {
  await redis.stop();
  rmSync(work, { recursive: true, force: true });
}
