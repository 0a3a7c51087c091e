/** A Piscina pool running a worker bundle (bundle.ts), the way both worker pools start and stop. */
import { Piscina } from 'piscina';
import { workerBundle, type WorkerEntry } from './bundle.ts';

export interface BundledPool {
  /** The pool, once its bundle is built; a build that fails rejects it (and the work that awaits it). */
  pool: Promise<Piscina>;
  /** Ends the threads at once; work in flight is lost. */
  destroy(): Promise<void>;
  /** Worker threads started so far (what `--threads` cost, for the user to see). */
  started(): number;
}

export function bundledPool(entry: WorkerEntry, options: { workerData: unknown; threads: number; tasksPerWorker: number }): BundledPool {
  let started = 0;
  const pool = workerBundle(entry).then((filename) => {
    const p = new Piscina({ filename, workerData: options.workerData, minThreads: options.threads, maxThreads: options.threads, idleTimeout: 60_000, concurrentTasksPerWorker: options.tasksPerWorker });
    p.on('workerCreate', () => started++);
    return p;
  });
  pool.catch(() => undefined);
  // Piscina's destroy is not re-entrant: a second call while the first waits for its workers to
  // exit clears the pool's "destroying" flag, and the exiting workers are replaced by new ones
  // that boot for a second and hold the process open. So it is called once.
  let destroyed: Promise<void> | undefined;
  return { pool, destroy: () => (destroyed ??= pool.then((p) => p.destroy(), () => undefined)), started: () => started };
}
