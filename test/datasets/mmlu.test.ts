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

describe('mmlu', () => {
  it('reads the headerless CSV, with commas and newlines inside quoted fields', async () => {
    const tasks = await load('mmlu/astronomy_test.csv', { format: 'mmlu' });
    expect(tasks[0]).toEqual({
      id: 'mmlu-0',
      dataset: 'mmlu',
      question: 'Which planet is largest?',
      answers: ['Jupiter'],
      options: ['Mars', 'Jupiter', 'Venus', 'Earth'],
      context: [],
      meta: {},
    });
    expect(tasks[1]?.question).toBe('Which list, in order, names the inner planets?');
    expect(tasks[1]?.options).toEqual(['Mercury, Venus, Earth, Mars', 'Earth, Mars', 'Venus', 'Pluto']);
    expect(tasks[1]?.answers).toEqual(['Mercury, Venus, Earth, Mars']);
    expect(tasks[2]?.question).toBe('A two-line question:\nwhich star is closest to Earth?');
    expect(tasks[2]?.answers).toEqual(['The Sun']);
  });

  it('reports CSV rows by their first line: column count and answer letter', async () => {
    const errors: DatasetError[] = [];
    const tasks = await load('mmlu/bad.csv', { format: 'mmlu', skipBadRows: true, onBadRow: (e) => errors.push(e) });
    expect(tasks.map((t) => [t.id, t.answers[0]])).toEqual([
      ['mmlu-0', 'd'],
      ['mmlu-3', 'w'], // a lower-case letter is accepted
    ]);
    expect(errors.map((e) => e.message.slice(e.message.indexOf('bad.csv')))).toEqual([
      'bad.csv:2: expected 6 columns (question,A,B,C,D,answer), got 5',
      "bad.csv:3: field 'answer': expected one of the letters A, B, C, D, got 'E'",
    ]);
  });

  it('locates a CSV row by its first line, past multi-line records and blank lines', async () => {
    const errors: DatasetError[] = [];
    const tasks = await load('mmlu/multiline-bad.csv', { format: 'mmlu', skipBadRows: true, onBadRow: (e) => errors.push(e) });
    expect(tasks.map((t) => t.question)).toEqual(['Spread over\n three lines']);
    expect(errors.map((e) => [e.line, e.index, e.field])).toEqual([
      [4, 1, 'answer'],
      [5, 2, 'answer'],
    ]);
  });

  it('stops at a quoting error even when skipping bad rows', async () => {
    const err = await (async () => {
      for await (const _ of loadTasks(fixture('mmlu/broken-quote.csv'), { format: 'mmlu', skipBadRows: true }));
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).message).toMatch(/broken-quote\.csv:2: the record starting here opens a quoted field that is never closed/);
  });

  it('reads the Hugging Face export: choices and an integer answer', async () => {
    const errors: DatasetError[] = [];
    const tasks = await load('mmlu/hf.jsonl', { format: 'mmlu', skipBadRows: true, onBadRow: (e) => errors.push(e) });
    expect(tasks[0]).toEqual({
      id: 'mmlu-0',
      dataset: 'mmlu',
      question: 'What is the capital of France?',
      answers: ['Paris'],
      options: ['Berlin', 'Madrid', 'Paris', 'Rome'],
      context: [],
      meta: { subject: 'geography' },
    });
    expect(tasks[1]?.answers).toEqual(['4']);
    expect(errors.map((e) => [e.line, e.field])).toEqual([
      [3, 'choices'],
      [4, 'answer'],
    ]);
  });

  it('unwraps the auxiliary_train rows nested in a `train` column', async () => {
    const [task] = await load('mmlu/auxiliary_train.jsonl', { format: 'mmlu' });
    expect(task?.answers).toEqual(['Carbon dioxide']);
    expect(task?.meta).toEqual({});
  });
});
