/**
 * The coordinator pool: searches a stream of tasks with at most `concurrency` coordinators
 * alive at once, each the root of its own small actor system (one parent over every task would
 * degrade far worse than linearly: design, "Measured facts"), and hands the results to
 * `onResult` in task order whatever order they finish in, so outputs depend only on the seed.
 */
import { setMaxListeners } from 'node:events';
import type { InspectionEvent } from 'xstate';
import type { DialogueSetup } from '../engine/dialogue/dialogue.ts';
import type { Task } from '../scenarios/task.ts';
import { abortError, searchTask, type SearchInput, type SearchResult } from './search.ts';

export type TaskSearchResult = SearchResult;

export interface SearchTasksOptions extends Omit<SearchInput, 'task' | 'setup'> {
  /** Coordinators alive at once (≥ 1). */
  concurrency: number;
  /** The task's dialogue setup; callers use `prepareDialogue(scenario, task, seed)`. */
  setupFor: (task: Task) => DialogueSetup;
  /** The task's own backend and probe, in place of the shared ones (to count what each task spends). */
  perTask?: (task: Task) => Pick<SearchInput, 'backend' | 'probe'>;
  /** Called with each batch of tasks before any of them starts (the simulated model indexes them here). */
  prepare?: (tasks: readonly Task[]) => void;
  /** Tasks read and prepared at a time (default: max(32, concurrency)). */
  batchSize?: number;
  /** Called once per searched task, in task order; awaited before the next call. */
  onResult: (result: TaskSearchResult) => void | Promise<void>;
  /**
   * Called in task order, in place of onResult, for a task whose search failed with an error
   * `isTaskFailure` accepts; the other tasks go on. Without it, the first failure stops the pool.
   */
  onFailure?: (failure: TaskFailure) => void | Promise<void>;
  isTaskFailure?: (err: unknown) => boolean;
  /** Aborting stops every coordinator and rejects with an AbortError. */
  signal?: AbortSignal;
  /** XState inspection for every coordinator (progress.ts); only when someone listens. */
  inspect?: (event: InspectionEvent) => void;
}

export interface PoolSummary {
  /** Tasks handed over, searched or failed. */
  tasks: number;
}

/** A task whose search failed on its own (a model request that outlasted its retries). */
export interface TaskFailure {
  task: Task;
  error: Error;
}

/** Tasks numbered in stream order, read a batch at a time, each batch prepared before it is handed out. */
async function* prepared(tasks: AsyncIterable<Task> | Iterable<Task>, size: number, prepare?: (tasks: readonly Task[]) => void) {
  let seq = 0;
  let batch: Task[] = [];
  const release = function* () {
    prepare?.(batch);
    for (const task of batch) yield { seq: seq++, task };
    batch = [];
  };
  for await (const task of tasks) {
    batch.push(task);
    if (batch.length >= size) yield* release();
  }
  if (batch.length > 0) yield* release();
}

export async function searchTasks(tasks: AsyncIterable<Task> | Iterable<Task>, opts: SearchTasksOptions): Promise<PoolSummary> {
  const { concurrency, setupFor, perTask, onResult, onFailure, isTaskFailure, signal, inspect, prepare, batchSize, ...shared } = opts;
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new RangeError(`concurrency must be an integer ≥ 1, got ${concurrency}`);
  if (signal?.aborted) throw abortError(signal);
  // One controller stops every coordinator, on the caller's abort or on the first failure.
  const stop = new AbortController();
  // Every lane's coordinator listens on it (and the pool once more): Node's default of 10 would
  // warn of a leak for any concurrency over 9.
  setMaxListeners(concurrency + 1, stop.signal);
  let failure: unknown = null;
  const fail = (err: unknown) => {
    failure ??= err;
    stop.abort(err);
  };
  const onAbort = () => fail(abortError(signal as AbortSignal));
  signal?.addEventListener('abort', onAbort, { once: true });
  const stopped = new Promise<never>((_, reject) => stop.signal.addEventListener('abort', () => reject(stop.signal.reason), { once: true }));
  stopped.catch(() => {});

  const source = prepared(tasks, batchSize ?? Math.max(32, concurrency), prepare);
  // Reads are serialised: an async generator would queue them anyway, but this keeps the order explicit.
  let reading: Promise<unknown> = Promise.resolve();
  const read = () => {
    const next = reading.then(() => source.next());
    reading = next.catch(() => {});
    return Promise.race([next, stopped]);
  };

  // Results wait here until every earlier task's result has been handed over. A task may only
  // start within `window` of the oldest unreported one, so a slow task bounds the backlog.
  const window = 2 * concurrency;
  const finished = new Map<number, TaskSearchResult | TaskFailure>();
  let reported = 0;
  let wakeUp: Array<() => void> = [];
  let emitting: Promise<void> = Promise.resolve();
  const emit = () => {
    emitting = emitting.then(async () => {
      // After an abort or a failure, nothing more is handed over, even results already in.
      for (let r = finished.get(reported); r !== undefined && failure === null; r = finished.get(reported)) {
        finished.delete(reported++);
        for (const w of wakeUp.splice(0)) w();
        if ('error' in r) await onFailure?.(r);
        else await onResult(r);
      }
    });
    return emitting;
  };
  const inWindow = async (seq: number) => {
    while (seq >= reported + window) await Promise.race([new Promise<void>((w) => wakeUp.push(w)), stopped]);
  };

  const searchOrFail = async (input: SearchInput, o: Parameters<typeof searchTask>[1]): Promise<TaskSearchResult | TaskFailure> => {
    try {
      return await searchTask(input, o);
    } catch (err) {
      if (onFailure && isTaskFailure?.(err) && !stop.signal.aborted) return { task: input.task, error: err as Error };
      throw err;
    }
  };

  const lane = async () => {
    for (;;) {
      const next = await read();
      if (next.done) return;
      const { seq, task } = next.value;
      await inWindow(seq);
      const input: SearchInput = { ...shared, ...perTask?.(task), task, setup: setupFor(task) };
      finished.set(seq, await searchOrFail(input, inspect ? { signal: stop.signal, inspect } : { signal: stop.signal }));
      await emit();
    }
  };

  try {
    await Promise.all(Array.from({ length: concurrency }, () => lane().catch(fail)));
  } finally {
    signal?.removeEventListener('abort', onAbort);
    wakeUp = [];
    // Not awaited: it waits for a pending read, which a stalled stream may never finish.
    if (failure !== null) source.return(undefined).catch(() => {});
  }
  if (failure !== null) throw failure;
  return { tasks: reported };
}
