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

describe('hotpotqa', () => {
  it('reads the raw JSON array: one piece per paragraph, supporting when its title is a supporting fact', async () => {
    const [first, second] = await load('hotpotqa/dev.json', { format: 'hotpotqa' });
    expect(first).toEqual({
      id: 'hp-001',
      dataset: 'hotpotqa',
      question: 'Which city is the birthplace of the author of Book X?',
      answers: ['Springfield'],
      context: [
        { title: 'Jane Doe', sentences: ['Jane Doe is a writer.', ' She was born in Springfield.'], supporting: true },
        { title: 'Unrelated River', sentences: ['The river is long.'], supporting: false },
        { title: 'Book X', sentences: ['Book X is a novel by Jane Doe.', ' It won a prize.'], supporting: true },
      ],
      meta: { type: 'bridge', level: 'medium' },
    });
    // two facts from one paragraph still make one supporting piece
    expect(second?.context.map((p) => p.supporting)).toEqual([true, true]);
  });

  it('reads JSONL and the Hugging Face export to the same tasks', async () => {
    const raw = await load('hotpotqa/dev.json', { format: 'hotpotqa' });
    expect(await load('hotpotqa/dev.jsonl', { format: 'hotpotqa' })).toEqual(raw);
    expect(await load('hotpotqa/hf.jsonl', { format: 'hotpotqa' })).toEqual(raw);
  });

  it('names array items by index and the field path inside them', async () => {
    const errors: DatasetError[] = [];
    const tasks = await load('hotpotqa/bad.json', { format: 'hotpotqa', skipBadRows: true, onBadRow: (e) => errors.push(e) });
    expect(tasks.map((t) => t.id)).toEqual(['hp-001', 'hp-003']);
    expect(errors.map((e) => [e.index, e.line, e.field])).toEqual([
      [1, undefined, 'answer'],
      [2, undefined, 'context[0][1]'],
    ]);
    expect(errors[0]?.message).toBe(`${fixture('hotpotqa/bad.json')}: item 1: field 'answer': expected a non-empty string, got null`);
  });

  it('applies limit and offset to a JSON array', async () => {
    expect((await load('hotpotqa/dev.json', { format: 'hotpotqa', offset: 1, limit: 1 })).map((t) => t.id)).toEqual(['hp-002']);
  });
});

describe('2wiki', () => {
  it('reads the raw JSON array with the same piece rules', async () => {
    const tasks = await load('2wiki/dev.json', { format: '2wiki' });
    expect(tasks[0]).toEqual({
      id: '2w-a1',
      dataset: '2wiki',
      question: 'Who was born first, Ann Lee or Bob Ray?',
      answers: ['Ann Lee'],
      context: [
        { title: 'Bob Ray', sentences: ['Bob Ray (born 1950) is a painter.'], supporting: true },
        { title: 'Ann Lee', sentences: ['Ann Lee (born 1940) is a singer.', ' She lives in Oslo.'], supporting: true },
        { title: 'Carl Moe', sentences: ['Carl Moe is a chef.'], supporting: false },
      ],
      meta: { type: 'comparison' },
    });
    expect(tasks[1]).toMatchObject({ id: '2w-b2', answers: ['Eli Fox'], meta: { type: 'compositional' } });
  });

  it('reads JSONL and the Hugging Face export to the same tasks', async () => {
    const raw = await load('2wiki/dev.json', { format: '2wiki' });
    expect(await load('2wiki/dev.jsonl', { format: '2wiki' })).toEqual(raw);
    expect(await load('2wiki/hf.jsonl', { format: '2wiki' })).toEqual(raw);
  });
});
