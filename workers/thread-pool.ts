/**
 * Worker threads (Piscina, thread-worker.ts) for a whole command: started by the first stage that
 * asks for threads and ended with the command, so a run's later stages find their threads warm,
 * with their modules and the tokenizer tables loaded. Each stage's spec is written once to a file
 * named by its hash, and its jobs carry that name. The pool keeps the thread count of the stage
 * that started it.
 *
 * Jobs go without an AbortSignal: Piscina runs an abortable task alone on its worker, so with one
 * the next job only left the main thread after the last result came in, and a worker idled for
 * that round trip after every job (about a sixth of its time). With several jobs per worker the
 * next one is already queued there when a job ends; a stage that stops early ends the threads
 * instead, and the jobs in flight are lost, which is what stopping means.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunWorkers } from '../actors/run-stages.ts';
import { bundledPool, type BundledPool } from './bundled-pool.ts';
import { fromWorker } from './input-errors.ts';
import { orderedSearcher } from './ordered-searcher.ts';
import type { ProbeOutcome } from './probe-runner.ts';
import type { PoolJob } from './thread-worker.ts';
import { hashOf, pack } from './spec-codec.ts';

/** Jobs a worker holds at once: one running, the others queued behind it. */
const JOBS_PER_WORKER = 4;

export interface ThreadPool extends Omit<RunWorkers, 'threads'> {
  /** Worker threads started so far. */
  started(): number;
  /** Ends the threads and removes the spec files. */
  close(): Promise<void>;
}

export function threadPool(): ThreadPool {
  let pool: (BundledPool & { threads: number }) | undefined;
  let folder: string | undefined;
  const start = (threads: number) => (pool ??= { ...bundledPool('thread-worker', { workerData: null, threads, tasksPerWorker: JOBS_PER_WORKER }), threads });
  const specFile = (spec: unknown): string => {
    folder ??= mkdtempSync(join(tmpdir(), 'dits-specs-'));
    const bytes = pack(spec);
    const file = join(folder, `${hashOf(bytes)}.msgpack`);
    writeFileSync(file, bytes);
    return file;
  };
  const send = async (p: BundledPool, job: PoolJob): Promise<unknown> => {
    try {
      return await (await p.pool).run(job);
    } catch (e) {
      throw fromWorker(e);
    }
  };
  return {
    search(spec, n) {
      const p = start(n);
      const file = specFile(spec);
      const searcher = orderedSearcher({
        send: async (job) => (await send(p, { kind: 'search', spec: file, job })) as Uint8Array,
        // The window lets the other workers go on while one works through a slow task.
        window: p.threads * JOBS_PER_WORKER * 2,
        worldTasks: spec.worldTasks !== undefined,
        abandon: () => void p.destroy(),
      });
      return { searcher, close: async () => {} };
    },
    probes(spec, n, meter) {
      const p = start(n);
      const file = specFile(spec);
      return {
        async probe(pairs) {
          const o = (await send(p, { kind: 'probe', spec: file, pairs: [...pairs] })) as ProbeOutcome;
          meter.charge(o.spent);
          return o.metric;
        },
        close: async () => {},
      };
    },
    started: () => pool?.started() ?? 0,
    async close() {
      await pool?.destroy();
      if (folder) rmSync(folder, { recursive: true, force: true });
    },
  };
}
