/**
 * Large files stream: with a limit, the loader stops reading and closes the file. node:fs is
 * wrapped only to watch the read streams the loaders open (how many bytes they read, whether
 * they were closed).
 */
import type { ReadStream } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadTasks, type LoadOptions } from '../../scenarios/datasets/index.ts';
import type { Task } from '../../scenarios/task.ts';

const opened = vi.hoisted(() => [] as ReadStream[]);

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const createReadStream = ((...args: Parameters<typeof fs.createReadStream>) => {
    const stream = fs.createReadStream(...args);
    opened.push(stream);
    return stream;
  }) as typeof fs.createReadStream;
  return { ...fs, default: { ...fs, createReadStream }, createReadStream };
});

const ROWS = 50_000;
let dir = '';

function hotpotRow(i: number): object {
  return {
    _id: `gen-${i}`,
    question: `Generated question number ${i}?`,
    answer: `answer ${i}`,
    supporting_facts: [[`Title ${i}`, 0]],
    context: [[`Title ${i}`, [`Sentence about item ${i}.`, ' And a second sentence to give the row some weight.']]],
    type: 'bridge',
    level: 'easy',
  };
}

/** Writes `ROWS` rows in the given shape; the file ends in a broken row, which only a full read would reach. */
async function write(name: string, open: string, row: (i: number) => string, separator: string): Promise<string> {
  const file = join(dir, name);
  const out = createWriteStream(file);
  out.write(open);
  for (let i = 0; i < ROWS; i++) {
    if (!out.write(row(i) + separator)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.write('{"broken": \n');
  await new Promise<void>((resolve) => out.end(() => resolve()));
  return file;
}

async function take(file: string, opts: LoadOptions): Promise<{ tasks: Task[] }> {
  const tasks: Task[] = [];
  for await (const t of loadTasks(file, opts)) tasks.push(t);
  return { tasks };
}

const files: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dits-datasets-'));
  files.jsonl = await write('big.jsonl', '', (i) => JSON.stringify(hotpotRow(i)), '\n');
  files.array = await write('big.json', '[\n', (i) => JSON.stringify(hotpotRow(i)), ',\n');
  files.trivia = await write(
    'big-trivia.json',
    '{"Data": [\n',
    (i) => JSON.stringify({ Question: `Q${i}?`, QuestionId: `tq_${i}`, Answer: { Value: `A${i}`, Aliases: [`a${i}`] }, SearchResults: [{ Title: 't', Description: 'd' }] }),
    ',\n',
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  opened.length = 0;
});

describe('streaming large files', () => {
  it.each([
    ['JSONL', 'jsonl', 'hotpotqa', 'gen-'],
    ['a JSON array', 'array', 'hotpotqa', 'gen-'],
    ['the TriviaQA Data array', 'trivia', 'triviaqa', 'tq_'],
  ])('reads only the head of %s when given a limit, then closes it', async (_label, which, format, prefix) => {
    const file = files[which] as string;
    const size = (await stat(file)).size;
    expect(size).toBeGreaterThan(5_000_000);
    const { tasks } = await take(file, { format, limit: 5, offset: 2 });
    expect(tasks.map((t) => t.id)).toEqual([2, 3, 4, 5, 6].map((i) => `${prefix}${i}`));
    // That it read only the head is what the stream read (no wall-clock limit: tests assert behaviour).
    const streams = opened.filter((s) => s.path === file);
    expect(streams).toHaveLength(1);
    expect(streams[0]?.bytesRead).toBeLessThan(size / 10);
    expect(streams[0]?.destroyed).toBe(true);
  });

  it('does reach the broken tail when reading everything', async () => {
    const err = await take(files.jsonl as string, { format: 'hotpotqa' }).catch((e: unknown) => e as Error);
    expect(String(err)).toMatch(new RegExp(`big\\.jsonl:${ROWS + 1}: invalid JSON`));
  });
});
