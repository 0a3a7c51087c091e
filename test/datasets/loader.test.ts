import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DATASET_FORMATS, DatasetError, loadTasks, type LoadOptions } from '../../scenarios/datasets/index.ts';
import type { Task } from '../../scenarios/task.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/datasets/${name}`, import.meta.url));

async function load(name: string, opts: LoadOptions): Promise<Task[]> {
  const tasks: Task[] = [];
  for await (const t of loadTasks(fixture(name), opts)) tasks.push(t);
  return tasks;
}

async function failure(run: Promise<unknown>): Promise<DatasetError> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DatasetError);
  return err as DatasetError;
}

describe('loadTasks: common behaviour', () => {
  it('lists the formats in a fixed order', () => {
    expect(DATASET_FORMATS).toEqual(['gsm8k', 'math', 'mmlu', 'arc', 'hotpotqa', '2wiki', 'triviaqa', 'cbt', 'jsonl']);
  });

  it('rejects an unknown format, naming the known ones', async () => {
    const err = await failure(load('gsm8k/train.jsonl', { format: 'squad' }));
    expect(err.message).toMatch(/gsm8k\/train\.jsonl: unknown dataset format 'squad' \(known: gsm8k, math, .*jsonl\)/);
  });

  it('reports a missing file as a DatasetError naming it', async () => {
    const err = await failure(load('gsm8k/nope.jsonl', { format: 'gsm8k' }));
    expect(err.file).toBe(fixture('gsm8k/nope.jsonl'));
    expect(err.message).toBe(`${fixture('gsm8k/nope.jsonl')}: no such file or directory`);
  });

  it('reports a directory where a file is expected', async () => {
    const err = await failure(load('gsm8k', { format: 'gsm8k' }));
    expect(err.message).toMatch(/is a directory/);
  });

  it('refuses a field mapping for a format other than jsonl', async () => {
    const err = await failure(load('gsm8k/train.jsonl', { format: 'gsm8k', mapping: { question: 'q', answers: 'a' } }));
    expect(err.message).toMatch(/field mapping applies only to format 'jsonl'/);
  });

  it('rejects a negative or fractional limit and offset', async () => {
    expect((await failure(load('gsm8k/train.jsonl', { format: 'gsm8k', limit: -1 }))).message).toMatch(/limit must be a non-negative integer/);
    expect((await failure(load('gsm8k/train.jsonl', { format: 'gsm8k', offset: 1.5 }))).message).toMatch(/offset must be a non-negative integer/);
  });

  it('applies offset then limit to good tasks, keeping row-index ids', async () => {
    expect((await load('gsm8k/train.jsonl', { format: 'gsm8k', offset: 1 })).map((t) => t.id)).toEqual(['gsm8k-1', 'gsm8k-2']);
    expect((await load('gsm8k/train.jsonl', { format: 'gsm8k', limit: 2 })).map((t) => t.id)).toEqual(['gsm8k-0', 'gsm8k-1']);
    expect((await load('gsm8k/train.jsonl', { format: 'gsm8k', offset: 1, limit: 1 })).map((t) => t.id)).toEqual(['gsm8k-1']);
    expect(await load('gsm8k/train.jsonl', { format: 'gsm8k', offset: 5 })).toEqual([]);
    expect(await load('gsm8k/train.jsonl', { format: 'gsm8k', limit: 0 })).toEqual([]);
  });

  it('counts only good tasks towards the offset', async () => {
    const tasks = await load('gsm8k/bad.jsonl', { format: 'gsm8k', skipBadRows: true, offset: 1 });
    expect(tasks.map((t) => t.id)).toEqual(['gsm8k-4']);
  });

  it('throws at the first bad row, with file, line, index and field', async () => {
    const err = await failure(load('gsm8k/bad.jsonl', { format: 'gsm8k' }));
    expect(err.message).toMatch(/^.*gsm8k\/bad\.jsonl:2: invalid JSON: /);
    expect(err).toMatchObject({ file: fixture('gsm8k/bad.jsonl'), line: 2, index: 1 });
    expect(err.field).toBeUndefined();
  });

  it('skips bad rows when asked, reporting each to onBadRow', async () => {
    const bad: DatasetError[] = [];
    const tasks = await load('gsm8k/bad.jsonl', { format: 'gsm8k', skipBadRows: true, onBadRow: (e) => bad.push(e) });
    expect(tasks.map((t) => t.answers[0])).toEqual(['2', '7']);
    expect(bad.map((e) => [e.line, e.field])).toEqual([
      [2, undefined],
      [3, 'answer'],
      [4, 'answer'],
    ]);
    expect(bad[1]?.message).toBe(`${fixture('gsm8k/bad.jsonl')}:3: field 'answer': expected a non-empty string, got number`);
    expect(bad.every((e) => e instanceof DatasetError && e.name === 'DatasetError')).toBe(true);
  });

  it('skips bad rows silently when no onBadRow is given', async () => {
    expect(await load('gsm8k/bad.jsonl', { format: 'gsm8k', skipBadRows: true })).toHaveLength(2);
  });

  it('stops a JSON array early on a syntax error but still yields the items before it', async () => {
    const seen: string[] = [];
    const err = await failure(
      (async () => {
        for await (const t of loadTasks(fixture('hotpotqa/broken.json'), { format: 'hotpotqa', skipBadRows: true })) seen.push(t.id);
      })(),
    );
    expect(seen).toEqual(['hp-001']);
    expect(err).toMatchObject({ index: 1 });
    expect(err.message).toMatch(/broken\.json: item 1: invalid JSON/);
  });
});
