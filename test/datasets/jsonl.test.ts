import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DatasetError, loadTasks, parseFieldMapping, type LoadOptions } from '../../scenarios/datasets/index.ts';
import type { Task } from '../../scenarios/task.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/datasets/${name}`, import.meta.url));

async function load(name: string, opts: LoadOptions): Promise<Task[]> {
  const tasks: Task[] = [];
  for await (const t of loadTasks(fixture(name), opts)) tasks.push(t);
  return tasks;
}

const CUSTOM = 'question=q, answers=meta.gold,context=ctx,id=uid,options=opts';

describe('parseFieldMapping', () => {
  it('parses the CLI form with dotted paths', () => {
    expect(parseFieldMapping(CUSTOM)).toEqual({ question: 'q', answers: 'meta.gold', context: 'ctx', id: 'uid', options: 'opts' });
  });

  it.each([
    ['question=q', /maps no 'answers' \(required\)/],
    ['answers=a', /maps no 'question' \(required\)/],
    ['question=q,answers=a,', /part 3 of 'question=q,answers=a,' is empty/],
    ['question=q,answers', /part 'answers': expected TARGET=SOURCE\.PATH/],
    ['question=q,answers=a,gold=g', /part 'gold=g': unknown target 'gold' \(known: id, question, answers, options, context\)/],
    ['question=q,answers=a,question=r', /part 'question=r': target 'question' is mapped twice/],
    ['question=q,answers=meta..gold', /part 'answers=meta\.\.gold': source path 'meta\.\.gold' has an empty segment/],
    ['question=,answers=a', /part 'question=': source path '' has an empty segment/],
  ])('rejects %j', (spec, message) => {
    expect(() => parseFieldMapping(spec)).toThrow(DatasetError);
    expect(() => parseFieldMapping(spec)).toThrow(message);
  });
});

describe('jsonl', () => {
  it('maps nested fields: id, answers list or string, options and every context shape', async () => {
    const tasks = await load('jsonl/custom.jsonl', { format: 'jsonl', mapping: parseFieldMapping(CUSTOM) });
    expect(tasks[0]).toEqual({
      id: 'c-1',
      dataset: 'jsonl',
      question: 'Who wrote Hamlet?',
      answers: ['William Shakespeare', 'Shakespeare'],
      options: ['Shakespeare', 'Marlowe'],
      context: [
        { title: 'Hamlet', sentences: ['Hamlet is a tragedy.', ' It was written by Shakespeare.'], supporting: false },
        { sentences: ['A loose snippet.'], supporting: false },
      ],
      meta: {},
    });
    expect(tasks[1]).toEqual({
      id: '17',
      dataset: 'jsonl',
      question: 'What is 2+3?',
      answers: ['5'],
      context: [{ sentences: ['Two plus three.'], supporting: false }],
      meta: {},
    });
    // optional targets absent from a row: no options, empty context, row-index id
    expect(tasks[2]).toEqual({ id: 'jsonl-2', dataset: 'jsonl', question: 'No id, no context', answers: ['yes'], context: [], meta: {} });
  });

  it('without a mapping reads rows whose fields are named like a Task', async () => {
    const tasks = await load('jsonl/plain.jsonl', { format: 'jsonl' });
    expect(tasks).toEqual([
      { id: 'p1', dataset: 'jsonl', question: 'Capital of Italy?', answers: ['Rome'], options: ['Rome', 'Milan'], context: [{ sentences: ['Rome is the capital of Italy.'], supporting: false }], meta: {} },
      { id: 'jsonl-1', dataset: 'jsonl', question: 'Capital of Spain?', answers: ['Madrid'], context: [], meta: {} },
    ]);
  });

  it('names the source path of a bad field', async () => {
    const errors: DatasetError[] = [];
    const tasks = await load('jsonl/bad.jsonl', { format: 'jsonl', mapping: parseFieldMapping(CUSTOM), skipBadRows: true, onBadRow: (e) => errors.push(e) });
    expect(tasks.map((t) => t.id)).toEqual(['b1']);
    expect(errors.map((e) => [e.line, e.field])).toEqual([
      [2, 'meta.gold'],
      [3, 'meta.gold'],
      [4, 'ctx[0]'],
      [5, 'q'],
    ]);
    expect(errors[0]?.message).toBe(`${fixture('jsonl/bad.jsonl')}:2: field 'meta.gold': expected a string or an array of strings, got number`);
  });
});
