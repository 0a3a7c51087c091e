/**
 * A searcher that sends each task as a job to workers elsewhere (threads, or a queue's workers
 * on other machines): jobs go out in task order with at most a window of them in flight
 * (back-pressure: the main thread never holds more than that), outputs come back in any order
 * and are handed over in task order, so the run's files do not depend on where or on how many
 * workers the tasks ran.
 */
import { decodeTaskOutput, type TaskOutput } from '../engine/search/task-output.ts';
import type { SearcherContext, TaskSearcher } from '../actors/run-search.ts';
import type { SearchJob } from './search-runner.ts';

export interface JobSender {
  /** Runs one job; resolves to the task's output bytes. */
  send(job: SearchJob): Promise<Uint8Array>;
  /** Jobs in flight at most. */
  window: number;
  /** Tasks are searched without the others they share a question with (their world holds every task). */
  worldTasks: boolean;
  /** Called once when the search stops early (a failure, or the signal): ends the work in flight. */
  abandon(): void;
}

export function orderedSearcher(sender: JobSender): TaskSearcher {
  return async (tasks, ctx: SearcherContext) => {
    const done = new Map<number, { output: TaskOutput; bytes: Uint8Array }>();
    let failure: unknown = null;
    let wake: (() => void) | null = null;
    const nudge = () => {
      wake?.();
      wake = null;
    };
    const stop = (reason: unknown) => {
      if (failure === null) sender.abandon();
      failure ??= reason;
      nudge();
    };
    const onAbort = () => stop(ctx.signal?.reason);
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    // Tasks by question, in stream order: each job carries its earlier namesakes (see SearchJob).
    const byQuestion = new Map<string, { task: SearchJob['task']; ordinal: number }[]>();
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
        while (sent - next >= sender.window && failure === null) await step();
        if (failure !== null) break;
        const seq = sent++;
        const q = task.question.trim();
        const namesakes = byQuestion.get(q) ?? [];
        const job: SearchJob = { task, normalizer: ctx.normalizer, ordinal: seq, earlier: sender.worldTasks ? [] : [...namesakes] };
        if (!sender.worldTasks) byQuestion.set(q, [...namesakes, { task, ordinal: seq }]);
        sender.send(job).then(
          (bytes) => {
            done.set(seq, { output: decodeTaskOutput(bytes), bytes });
            nudge();
          },
          stop,
        );
      }
      while (next < sent && failure === null) await step();
      if (failure !== null) throw failure;
    } finally {
      ctx.signal?.removeEventListener('abort', onAbort);
    }
  };
}
