/**
 * `--threads auto|N`: how many worker threads a stage runs on. Outputs never depend on it.
 *
 * A worker takes about a second of CPU to start (its modules, the Llama-3 tokenizer tables, the
 * simulated model's task index), and on two cores two threads search about 1.5 times as fast as
 * one (bench/threads.ts), so threads repay their start only on large stages. `auto`, the
 * default, is the core count for a stage of at least `AUTO_THREADS_MIN` items and 1 (the main
 * thread, no workers) below it; a number is capped by the stage's items and the cores.
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
  'A number is capped by the stage\'s tasks or probes and the cores. ' +
  'Outputs do not depend on it';

export function threadsOption(value: string): ThreadsChoice {
  if (value.trim() === 'auto') return 'auto';
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected auto or a whole number, got '${value}'`);
  const n = Number(value);
  if (n < 1 || n > 256) throw new InvalidArgumentError(`expected auto or a number from 1 to 256, got ${n}`);
  return n;
}

/**
 * Threads for a stage of `items` search tasks or probes. A number is capped by the work (a
 * thread beyond one per task or probe only pays its start) and by the cores (past them,
 * threads of a CPU-bound search take turns).
 */
export function threadsFor(choice: ThreadsChoice, work: ThreadedWork, items: number): number {
  if (choice === 'auto') return items >= AUTO_THREADS_MIN[work] ? availableParallelism() : 1;
  return Math.max(1, Math.min(choice, items, availableParallelism()));
}

const WORK_NAMES: Record<ThreadedWork, string> = { search: 'search tasks', probes: 'probes' };

/** Why threadsFor gives fewer threads than `--threads N` asked for; undefined when it does not. */
export function threadsCapNotice(choice: ThreadsChoice, work: ThreadedWork, items: number): string | undefined {
  const threads = threadsFor(choice, work, items);
  if (choice === 'auto' || threads >= choice) return undefined;
  return `--threads ${choice} capped to ${threads} for ${items} ${WORK_NAMES[work]} on ${availableParallelism()} cores: a stage starts no more threads than it has tasks or probes, nor more than the cores`;
}

/** threadsFor that says, once, when it caps `--threads N` (the later stages of a run cap alike). */
export function threadsChooser(choice: ThreadsChoice, say: (line: string) => void): (work: ThreadedWork, items: number) => number {
  let told = false;
  return (work, items) => {
    const notice = threadsCapNotice(choice, work, items);
    if (notice && !told) say(notice);
    told ||= notice !== undefined;
    return threadsFor(choice, work, items);
  };
}
