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

describe('triviaqa', () => {
  it('streams the Data array of the raw object: value then aliases, one piece per snippet', async () => {
    const [first, second] = await load('triviaqa/web-dev.json', { format: 'triviaqa' });
    expect(first).toEqual({
      id: 'tq_1',
      dataset: 'triviaqa',
      question: 'Which river flows through London?',
      answers: ['River Thames', 'The Thames', 'Thames'],
      context: [
        { title: 'River Thames - Example', sentences: ['The River Thames flows through southern England including London.'], supporting: false },
        { title: 'London', sentences: ['London is the capital of England.'], supporting: false },
        // the third search result has no description: it gives no piece
      ],
      meta: {},
    });
    // no SearchResults (as in the Wikipedia-domain files): empty context, not an error
    expect(second).toMatchObject({ id: 'tq_2', answers: ['7', 'seven'], context: [] });
  });

  it('finds Data in a one-line file and when it is not the first key', async () => {
    const expected = await load('triviaqa/web-dev.json', { format: 'triviaqa' });
    expect(await load('triviaqa/web-dev-compact.json', { format: 'triviaqa' })).toEqual(expected);
    expect(await load('triviaqa/data-last.json', { format: 'triviaqa' })).toEqual(expected);
  });

  it('reads the Hugging Face rc export to the same tasks', async () => {
    expect(await load('triviaqa/rc.jsonl', { format: 'triviaqa' })).toEqual(await load('triviaqa/web-dev.json', { format: 'triviaqa' }));
  });

  it('names the Data item of a bad row', async () => {
    const errors: DatasetError[] = [];
    const tasks = await load('triviaqa/bad.json', { format: 'triviaqa', skipBadRows: true, onBadRow: (e) => errors.push(e) });
    expect(tasks.map((t) => t.id)).toEqual(['tq_1', 'tq_3']);
    expect(errors.map((e) => [e.index, e.field])).toEqual([[1, 'Answer.Value']]);
  });

  it('reports an object without a Data array', async () => {
    const err = await load('triviaqa/no-data.json', { format: 'triviaqa' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).message).toBe(`${fixture('triviaqa/no-data.json')}: field 'Data': missing, expected an array of rows`);
  });

  it('reports a Data field that is not an array', async () => {
    const err = await load('triviaqa/data-object.json', { format: 'triviaqa' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).message).toBe(`${fixture('triviaqa/data-object.json')}: field 'Data': expected a JSON array of rows`);
  });
});
