/**
 * The Redis queue against the in-process search: `dits search --queue` with 1 and 2 local `dits
 * worker` processes, and `dits search --threads 1` (the main thread), all as child processes of
 * the real CLI on a private redis-server. Wall times are medians of --repeats runs.
 *
 * Per-job cost is taken by difference, as bench/threads.ts does: (t(N) - t(small)) / (N - small)
 * cancels what does not grow with the tasks (start-up, the normalizer, connecting) and keeps the
 * search plus, for the queue, a job's way through Redis (add, fetch, lock, result, event,
 * remove). Wall time hides part of that cost: with the queue the search runs in the worker while
 * the command's process writes the outputs, on the other core. So CPU is counted too, the
 * command's plus its workers' (from /proc/PID/stat, Linux), and the overhead per job is the
 * queue's marginal CPU per task with one worker minus the main thread's. Workers are started
 * once per configuration and stay warm across repeats.
 *
 *   node bin/run-ts.mjs bench/queue.ts [--tasks 1000] [--small 100] [--repeats 3]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

/** CPU seconds (user + system) a live process has used: fields 14 and 15 of /proc/PID/stat, in clock ticks of 1/100 s. */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Sample {
  wall: number;
  cpu: number;
}

let runs = 0;
async function search(tasks: number, extra: string[], workerPids: number[]): Promise<Sample> {
  const out = join(work, `out-${runs++}`);
  const before = workerPids.reduce((a, p) => a + cpuOf(p), 0);
  const f = await runDits(['search', '--scenario', 'gsm8k', '--generate', String(tasks), '--quiet', '--formats', 'trl', '--out', out, ...extra]);
  const workers = workerPids.reduce((a, p) => a + cpuOf(p), 0) - before;
  rmSync(out, { recursive: true, force: true });
  return { wall: f.wallS, cpu: f.cpuS + workers };
}

interface Figures {
  big: Sample;
  small: Sample;
}

async function measure(extra: string[], workerPids: number[] = []): Promise<Figures> {
  const big: Sample[] = [];
  const small: Sample[] = [];
  for (let r = 0; r < REPEATS; r++) {
    big.push(await search(N, extra, workerPids));
    small.push(await search(SMALL, extra, workerPids));
  }
  const med = (xs: Sample[]): Sample => ({ wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) });
  return { big: med(big), small: med(small) };
}

const redis = await startRedis();
try {
  const local = await measure(['--threads', '1']);
  const queued: Record<number, Figures> = {};
  for (const count of [1, 2]) {
    const name = `bench-${count}`;
    const workers = Array.from({ length: count }, () => startWorker(redis.url, ['--queue-name', name, '--quiet']));
    // Warm: each worker loads the spec on its first job.
    const pids = workers.map((w) => w.child.pid as number);
    await search(SMALL, ['--queue', redis.url, '--queue-name', name], pids);
    queued[count] = await measure(['--queue', redis.url, '--queue-name', name], pids);
    await Promise.all(workers.map((w) => stopChild(w.child, 'SIGTERM')));
  }
  const perTask = (f: Figures, k: keyof Sample) => ((f.big[k] - f.small[k]) / (N - SMALL)) * 1000;
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}; ${N} and ${SMALL} gsm8k tasks, medians of ${REPEATS}; CPU = the command's + its workers'`);
  console.log('| configuration | wall N (s) | wall small (s) | wall ms per task | CPU ms per task | tasks/s (N) | wall vs main thread |');
  console.log('|---|---|---|---|---|---|---|');
  const row = (label: string, f: Figures) =>
    console.log(
      `| ${label} | ${f.big.wall.toFixed(2)} | ${f.small.wall.toFixed(2)} | ${perTask(f, 'wall').toFixed(2)} | ${perTask(f, 'cpu').toFixed(2)} | ${(N / f.big.wall).toFixed(0)} | ${(f.big.wall / local.big.wall).toFixed(2)} |`,
    );
  row('main thread (--threads 1)', local);
  row('queue, 1 worker', queued[1] as Figures);
  row('queue, 2 workers', queued[2] as Figures);
  console.log(`overhead per job, CPU (queue with 1 worker - main thread): ${(perTask(queued[1] as Figures, 'cpu') - perTask(local, 'cpu')).toFixed(2)} ms`);
} finally {
  await redis.stop();
  rmSync(work, { recursive: true, force: true });
}
