/**
 * `--threads auto|N`: how many worker threads a stage runs on. Outputs never depend on it.
 *
 * A worker takes about a second of CPU to start (its modules, the Llama-3 tokenizer tables, the
 * simulated model's task index), and on two cores two threads search about 1.5 times as fast as
 * one (bench/threads.ts), so threads repay their start only on large stages. `auto`, the
 * default, is the core count for a stage of at least `AUTO_THREADS_MIN` items and 1 (the main
 * thread, no workers) below it; a number is taken as given.
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from 'commander';

export type ThreadsChoice = number | 'auto';

/** Work that can go to worker threads: search tasks, or influence probes (one per group). */
export type ThreadedWork = 'search' | 'probes';

/** The smallest stage `auto` starts threads for: on two cores, threads break even at 1,200 to 2,000 search tasks, depending on the day (bench/threads.ts). */
export const AUTO_THREADS_MIN: Record<ThreadedWork, number> = { search: 3000, probes: 3000 };

export const THREADS_HELP =
  `worker threads (sim backend): auto = the core count (${availableParallelism()} here) for stages of at least ` +
  `${AUTO_THREADS_MIN.search} search tasks or ${AUTO_THREADS_MIN.probes} probes, else 1 (the main thread); threads take about a second each to start. ` +
  'Outputs do not depend on it';

export function threadsOption(value: string): ThreadsChoice {
  if (value.trim() === 'auto') return 'auto';
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected auto or a whole number, got '${value}'`);
  const n = Number(value);
  if (n < 1 || n > 256) throw new InvalidArgumentError(`expected auto or a number from 1 to 256, got ${n}`);
  return n;
}

/** Threads for a stage of `items` search tasks or probes. */
export function threadsFor(choice: ThreadsChoice, work: ThreadedWork, items: number): number {
  if (choice !== 'auto') return choice;
  return items >= AUTO_THREADS_MIN[work] ? availableParallelism() : 1;
}
