/**
 * Searching tasks in worker threads (Piscina): tasks go out in order with at most a window of
 * them in flight (back-pressure: the main thread never holds more than that), outputs come back
 * in any order and are handed over in task order, so the run's files do not depend on the
 * thread count. Stopping (the signal) cancels the tasks in flight and ends the threads.
 */
import { decodeTaskOutput, type TaskOutput } from '../engine/search/task-output.ts';
import type { Task } from '../scenarios/task.ts';
import type { SearcherContext, TaskSearcher } from '../actors/run-search.ts';
import type { WorkerSearchSpec } from '../engine/search/worker-spec.ts';
import { bundledPool } from './bundled-pool.ts';
import { fromWorker } from './input-errors.ts';

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
  // stopping ends the threads instead (pool.destroy). Tasks are independent, so this changes
  // nothing else.
  const { pool: starting, destroy, started } = bundledPool('search-worker', { workerData: spec, threads, tasksPerWorker: TASKS_PER_WORKER });
  // Outputs are handed over in task order: the window lets the other workers go on while one
  // works through a slow task.
  const window = threads * TASKS_PER_WORKER * 2;

  const searcher = async (tasks: AsyncIterable<Task>, ctx: SearcherContext): Promise<void> => {
    const pool = await starting;
    const done = new Map<number, { output: TaskOutput; bytes: Uint8Array }>();
    let failure: unknown = null;
    let wake: (() => void) | null = null;
    const nudge = () => {
      wake?.();
      wake = null;
    };
    const stop = (reason: unknown) => {
      failure ??= reason;
      // Ends the threads at once; the tasks in flight are lost, which is what stopping means.
      void destroy();
      nudge();
    };
    const onAbort = () => stop(ctx.signal?.reason);
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    // Tasks by question, in stream order: each job carries its earlier namesakes (see SearchJob).
    const byQuestion = new Map<string, { task: Task; ordinal: number }[]>();
    let next = 0;
    let sent = 0;
    const waitForChange = () => new Promise<void>((r) => (wake = r));
    const hand = async () => {
      for (let d = done.get(next); d !== undefined; d = done.get(next)) {
        done.delete(next++);
        await ctx.onOutput(d.output, d.bytes);
      }
    };
    // One waiter at most (this loop); it checks before it sleeps, so no wake-up is missed.
    const ready = () => done.has(next) || failure !== null;
    const step = async () => {
      if (!ready()) await waitForChange();
      if (failure === null) await hand();
    };
    try {
      for await (const task of tasks) {
        while (sent - next >= window && failure === null) await step();
        if (failure !== null) break;
        const seq = sent++;
        const q = task.question.trim();
        const namesakes = byQuestion.get(q) ?? [];
        const job = { task, normalizer: ctx.normalizer, ordinal: seq, earlier: spec.worldTasks ? [] : [...namesakes] };
        if (!spec.worldTasks) byQuestion.set(q, [...namesakes, { task, ordinal: seq }]);
        pool.run(job).then(
          (bytes: Uint8Array) => {
            done.set(seq, { output: decodeTaskOutput(bytes), bytes });
            nudge();
          },
          (err: unknown) => stop(fromWorker(err)),
        );
      }
      while (next < sent && failure === null) await step();
      if (failure !== null) throw failure;
    } finally {
      ctx.signal?.removeEventListener('abort', onAbort);
    }
  };
  return { searcher, close: destroy, started };
}
