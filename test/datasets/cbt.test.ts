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

const CANDIDATES = ['Tom', 'Anna', 'dog', 'house', 'king', 'queen', 'forest', 'river', 'baker', 'Jack'];

describe('cbt', () => {
  it('reads the raw text: 20 story sentences as one supporting piece, the query, answer and candidates', async () => {
    const tasks = await load('cbt/cn_test.txt', { format: 'cbt' });
    expect(tasks).toHaveLength(2);
    const [first] = tasks;
    expect(first).toMatchObject({
      id: 'cbt-0',
      dataset: 'cbt',
      question: 'Then XXXXX went home with Tom .',
      answers: ['Anna'],
      options: CANDIDATES,
      meta: {},
    });
    expect(first?.context).toHaveLength(1);
    expect(first?.context[0]?.supporting).toBe(true);
    expect(first?.context[0]?.title).toBeUndefined();
    expect(first?.context[0]?.sentences).toHaveLength(20);
    expect(first?.context[0]?.sentences[0]).toBe('Story 1 sentence 1 mentions Anna .');
    expect(first?.context[0]?.sentences[19]).toBe('Story 1 sentence 20 mentions Tom .');
    expect(tasks[1]).toMatchObject({ id: 'cbt-1', answers: ['forest'], options: [...CANDIDATES].reverse() });
  });

  it('reports the offending line of a bad example and goes on with the next', async () => {
    const errors: DatasetError[] = [];
    const tasks = await load('cbt/bad.txt', { format: 'cbt', skipBadRows: true, onBadRow: (e) => errors.push(e) });
    expect(tasks.map((t) => [t.id, t.answers[0]])).toEqual([
      ['cbt-0', 'Anna'],
      ['cbt-4', 'Jack'], // the last example needs no trailing blank line
    ]);
    expect(errors.map((e) => [e.line, e.index, e.field])).toEqual([
      [29, 1, 'line 7'], // line 7 of the example is missing
      [64, 2, 'answer'], // the answer is not a candidate
      [87, 3, 'line 22'], // no blank line after the query
    ]);
    expect(errors[0]?.message).toBe(`${fixture('cbt/bad.txt')}:29: field 'line 7': expected a line numbered 7, got '8 Story 2 sentence 8 mentions baker .'`);
  });

  it('reports an example that ends before its query line', async () => {
    const err = await load('cbt/short.txt', { format: 'cbt' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).message).toBe(
      `${fixture('cbt/short.txt')}:42: field 'line 21': example ends after 20 lines, expected 20 story lines and a query line`,
    );
  });

  it('throws on the first bad example by default', async () => {
    const err = await load('cbt/bad.txt', { format: 'cbt' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).line).toBe(29);
  });

  it('reads the Hugging Face export to the same tasks, and checks its sentence count', async () => {
    const raw = await load('cbt/cn_test.txt', { format: 'cbt' });
    const errors: DatasetError[] = [];
    const hf = await load('cbt/hf.jsonl', { format: 'cbt', skipBadRows: true, onBadRow: (e) => errors.push(e) });
    expect(hf[0]).toEqual(raw[0]);
    expect(hf[1]).toMatchObject({ id: 'cbt-1', answers: ['king'] });
    expect(errors.map((e) => [e.line, e.field])).toEqual([[3, 'sentences']]);
  });
});
