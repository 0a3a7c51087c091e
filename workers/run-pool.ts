/**
 * One pool of worker threads for a whole `dits run` (run-worker.ts), started by the first stage
 * that asks for threads and ended with the run: the later stages find their threads warm, with
 * their modules and the tokenizer tables loaded. Each stage's spec is written once to a file
 * named by its hash, and its jobs carry that name. The pool keeps the thread count of the stage
 * that started it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunWorkers } from '../actors/run-stages.ts';
import { bundledPool, type BundledPool } from './bundled-pool.ts';
import { fromWorker } from './input-errors.ts';
import { orderedSearcher } from './ordered-searcher.ts';
import type { ProbeOutcome } from './probe-runner.ts';
import type { PoolJob } from './run-worker.ts';
import { hashOf, pack } from './spec-codec.ts';

/** Jobs a worker holds at once: one running, the others queued behind it (see search-pool.ts). */
const JOBS_PER_WORKER = 4;

export interface RunPool {
  /** The run's stages' threads; `threads` says how many a stage asks for. */
  workers(threads: RunWorkers['threads']): RunWorkers;
  /** Worker threads started so far. */
  started(): number;
  /** Ends the threads and removes the spec files. */
  close(): Promise<void>;
}

export function runPool(): RunPool {
  let pool: (BundledPool & { threads: number }) | undefined;
  let folder: string | undefined;
  const start = (threads: number) => (pool ??= { ...bundledPool('run-worker', { workerData: null, threads, tasksPerWorker: JOBS_PER_WORKER }), threads });
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
    workers: (threads) => ({
      threads,
      search(spec, n) {
        const p = start(n);
        const file = specFile(spec);
        const searcher = orderedSearcher({
          send: async (job) => (await send(p, { kind: 'search', spec: file, job })) as Uint8Array,
          window: p.threads * JOBS_PER_WORKER * 2,
          worldTasks: spec.worldTasks !== undefined,
          // A stage that stops early stops the run: the threads end with it.
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
    }),
    started: () => pool?.started() ?? 0,
    async close() {
      await pool?.destroy();
      if (folder) rmSync(folder, { recursive: true, force: true });
    },
  };
}
