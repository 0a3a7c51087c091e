import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DatasetError, loadTasks, type LoadOptions } from '../../scenarios/datasets/index.ts';
import type { Task } from '../../scenarios/task.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/datasets/${name}`, import.meta.url));

async function load(name: string, opts: LoadOptions): Promise<Task[]> {
  const tasks: Task[] = [];
  for await (const t of loadTasks(fixture(name), opts)) tasks.push(t);
  return tasks;
}

describe('math', () => {
  it('reads the PRM800K/openr layout, taking the given answer and unique_id', async () => {
    const [first, second] = await load('math/prm800k.jsonl', { format: 'math' });
    expect(first).toEqual({
      id: 'test/prealgebra/1.json',
      dataset: 'math',
      question: 'What is $1+1$?',
      answers: ['2'],
      context: [],
      meta: { level: 1, subject: 'Prealgebra', solution: 'We add: $1+1=\\boxed{2}$.' },
    });
    expect(second?.answers).toEqual(['\\frac{3}{4}']);
  });

  it('reads the Hendrycks layout, taking the last brace-balanced \\boxed{} of the solution', async () => {
    const tasks = await load('math/hendrycks.jsonl', { format: 'math' });
    expect(tasks.map((t) => t.id)).toEqual(['math-0', 'math-1']);
    expect(tasks.map((t) => t.answers)).toEqual([['4'], ['4+\\frac{1}{2}']]);
    expect(tasks[0]?.meta).toMatchObject({ level: 3, subject: 'Algebra' });
    expect(tasks[1]?.meta.level).toBe('Level ?'); // not "Level N": kept as the source spells it
  });

  it('keeps an integer level (MATH-500 export)', async () => {
    const [task] = await load('math/math500.jsonl', { format: 'math' });
    expect(task?.meta).toMatchObject({ level: 1, subject: 'Algebra' });
    expect(task?.id).toBe('test/algebra/99.json');
  });

  it('reads a directory of per-problem files in sorted path order, ignoring other files', async () => {
    const tasks = await load('math/MATH', { format: 'math' });
    expect(tasks.map((t) => t.id)).toEqual(['test/algebra/1.json', 'test/algebra/10.json', 'test/geometry/2.json']);
    expect(tasks.map((t) => t.answers[0])).toEqual(['2', '5', '9']);
    expect(tasks[2]?.meta).toEqual({ level: 1, subject: 'Geometry', solution: 'The area is $3^2=\\boxed{9}$.' });
    expect((await load('math/MATH', { format: 'math', offset: 1, limit: 1 })).map((t) => t.id)).toEqual(['test/algebra/10.json']);
  });

  it('reports rows without a usable gold answer or with mistyped fields', async () => {
    const errors: DatasetError[] = [];
    const tasks = await load('math/bad.jsonl', { format: 'math', skipBadRows: true, onBadRow: (e) => errors.push(e) });
    expect(tasks).toEqual([]);
    expect(errors.map((e) => [e.line, e.field])).toEqual([
      [1, 'solution'],
      [2, 'solution'], // an unclosed \boxed{ is no answer
      [3, 'level'],
      [4, 'problem'],
    ]);
    expect(errors[0]?.message).toMatch(/bad\.jsonl:1: field 'solution': no brace-balanced \\boxed\{\.\.\.\} answer$/);
  });
});
