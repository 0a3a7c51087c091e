/**
 * Where a run's tasks come from: a dataset file (streamed by the loaders) or the seeded
 * generator of the simulated model.
 */
import { InputError } from '../scenarios/errors.ts';
import { loadTasks, parseFieldMapping, type DatasetError } from '../scenarios/datasets/index.ts';
import type { Scenario } from '../scenarios/schema.ts';
import type { Task } from '../scenarios/task.ts';
import { generateArithmeticTasks, generateIeTasks } from './sim/generate.ts';

export interface TaskSourceFlags {
  tasks?: string;
  format?: string;
  map?: string;
  generate?: number;
  limit?: number;
  offset?: number;
  skipBadRows?: boolean;
}

export interface TaskSource {
  /** How the manifest describes the source. */
  description: { kind: 'file'; file: string; format: string } | { kind: 'generated'; generator: string; count: number };
  tasks: AsyncIterable<Task>;
}

/** The generator that suits a scenario: arithmetic debates or two-hop information exchange. */
export function generatorFor(scenario: Scenario): { name: string; make: (seed: number, n: number) => Task[] } {
  return scenario.family === 'debate'
    ? { name: 'gen-arith', make: generateArithmeticTasks }
    : { name: 'gen-ie', make: generateIeTasks };
}

async function* fromArray(tasks: readonly Task[]): AsyncIterable<Task> {
  yield* tasks;
}

export function openTaskSource(
  scenario: Scenario,
  flags: TaskSourceFlags,
  taskSeed: number,
  onBadRow: (err: DatasetError) => void,
): TaskSource {
  if (flags.tasks !== undefined && flags.generate !== undefined) throw new InputError('give either --tasks FILE or --generate N, not both');
  if (flags.tasks === undefined) {
    const count = flags.generate ?? 20;
    const gen = generatorFor(scenario);
    const offset = flags.offset ?? 0;
    const all = gen.make(taskSeed, offset + Math.min(count, flags.limit ?? count)).slice(offset);
    return { description: { kind: 'generated', generator: gen.name, count: all.length }, tasks: fromArray(all) };
  }
  const format = flags.format ?? scenario.dataset?.format;
  if (format === undefined) throw new InputError(`scenario ${scenario.name} names no dataset format: give --format`);
  const tasks = loadTasks(flags.tasks, {
    format,
    skipBadRows: flags.skipBadRows ?? false,
    onBadRow,
    ...(flags.map !== undefined ? { mapping: parseFieldMapping(flags.map) } : {}),
    ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
    ...(flags.offset !== undefined ? { offset: flags.offset } : {}),
  });
  return { description: { kind: 'file', file: flags.tasks, format }, tasks };
}

/** The first `n` tasks in memory, and an iterable that yields them and then the rest. */
export async function peekTasks(tasks: AsyncIterable<Task>, n: number): Promise<{ head: Task[]; all: AsyncIterable<Task> }> {
  const it = tasks[Symbol.asyncIterator]();
  const head: Task[] = [];
  let exhausted = false;
  while (head.length < n) {
    const r = await it.next();
    if (r.done) {
      exhausted = true;
      break;
    }
    head.push(r.value);
  }
  async function* all(): AsyncIterable<Task> {
    yield* head;
    if (exhausted) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  return { head, all: all() };
}
