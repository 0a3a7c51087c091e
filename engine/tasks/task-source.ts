/**
 * Where a run's tasks come from: a dataset file (streamed by the loaders) or the seeded
 * generator of the simulated model.
 */
import { InputError } from '../../scenarios/errors.ts';
import { loadTasks, type DatasetError, type FieldMapping } from '../../scenarios/datasets/index.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';
import { generateArithmeticTasks, generateIeTasks } from '../sim/generate.ts';

/** Which tasks to read: the seeded generator's first `count`, or a dataset file's rows. */
export type TaskSpec =
  | { kind: 'generated'; count: number; offset?: number }
  | {
      kind: 'file';
      file: string;
      /** Default: the scenario's dataset format. */
      format?: string;
      mapping?: FieldMapping;
      limit?: number;
      offset?: number;
      skipBadRows?: boolean;
    };

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

export function openTaskSource(scenario: Scenario, spec: TaskSpec, taskSeed: number, onBadRow: (err: DatasetError) => void): TaskSource {
  if (spec.kind === 'generated') {
    const gen = generatorFor(scenario);
    const offset = spec.offset ?? 0;
    const all = gen.make(taskSeed, offset + spec.count).slice(offset);
    return { description: { kind: 'generated', generator: gen.name, count: all.length }, tasks: fromArray(all) };
  }
  const format = spec.format ?? scenario.dataset?.format;
  if (format === undefined) throw new InputError(`scenario ${scenario.name} names no dataset format, so the format of ${spec.file} must be given`);
  const tasks = loadTasks(spec.file, {
    format,
    skipBadRows: spec.skipBadRows ?? false,
    onBadRow,
    ...(spec.mapping !== undefined ? { mapping: spec.mapping } : {}),
    ...(spec.limit !== undefined ? { limit: spec.limit } : {}),
    ...(spec.offset !== undefined ? { offset: spec.offset } : {}),
  });
  return { description: { kind: 'file', file: spec.file, format }, tasks };
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
