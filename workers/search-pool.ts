/** Searching tasks in worker threads (Piscina), handed over in task order (ordered-searcher.ts). Stopping ends the threads. */
import type { TaskSearcher } from '../actors/run-search.ts';
import type { WorkerSearchSpec } from '../engine/search/worker-spec.ts';
import { bundledPool } from './bundled-pool.ts';
import { fromWorker } from './input-errors.ts';
import { orderedSearcher } from './ordered-searcher.ts';

/** Tasks a worker holds at once: one searched, the others queued behind it. */
const TASKS_PER_WORKER = 4;

export interface WorkerSearcher {
  searcher: TaskSearcher;
  close(): Promise<void>;
  /** Worker threads started so far. */
  started(): number;
}

/** A searcher on `threads` worker threads; each output carries what its task spent (runSearch charges a run's meters with it). */
export function workerSearcher(spec: WorkerSearchSpec, threads: number): WorkerSearcher {
  // Tasks go without an AbortSignal: Piscina runs an abortable task alone on its worker, so
  // with one the next task only left the main thread after the last result came in, and a
  // worker idled for that round trip after every task (about a sixth of its time). With
  // several tasks per worker the next one is already queued at the worker when a task ends;
  // stopping ends the threads instead (pool.destroy), and the tasks in flight are lost, which
  // is what stopping means. Tasks are independent, so this changes nothing else.
  const { pool, destroy, started } = bundledPool('search-worker', { workerData: spec, threads, tasksPerWorker: TASKS_PER_WORKER });
  const searcher = orderedSearcher({
    send: async (job) => {
      try {
        return (await (await pool).run(job)) as Uint8Array;
      } catch (e) {
        throw fromWorker(e);
      }
    },
    // The window lets the other workers go on while one works through a slow task.
    window: threads * TASKS_PER_WORKER * 2,
    worldTasks: spec.worldTasks !== undefined,
    abandon: () => void destroy(),
  });
  return { searcher, close: destroy, started };
}
