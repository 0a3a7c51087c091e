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

describe('arc', () => {
  it('reads AI2 rows with letter or digit labels and 3 to 5 choices', async () => {
    const tasks = await load('arc/ai2.jsonl', { format: 'arc' });
    expect(tasks[0]).toEqual({
      id: 'Mercury_001',
      dataset: 'arc',
      question: 'Which part of a plant makes food?',
      answers: ['leaves'],
      options: ['roots', 'leaves', 'stem', 'flowers'],
      context: [],
      meta: {},
    });
    expect(tasks.map((t) => [t.id, t.answers[0], t.options?.length])).toEqual([
      ['Mercury_001', 'leaves', 4],
      ['NYSEDREGENTS_2', 'quartz', 4],
      ['MCAS_3', 'solid', 3],
      ['TIMSS_4', 'whale', 5],
    ]);
  });

  it('reads the Hugging Face export to the same tasks', async () => {
    const hf = await load('arc/hf.jsonl', { format: 'arc' });
    const ai2 = await load('arc/ai2.jsonl', { format: 'arc' });
    expect(hf[0]).toEqual(ai2[0]);
    expect(hf[1]).toMatchObject({ id: 'NYSEDREGENTS_2', answers: ['quartz'], options: ['quartz', 'wood', 'bone'] });
  });

  it('reports an answer key that names no choice, mistyped labels and ragged columns', async () => {
    const errors: DatasetError[] = [];
    const tasks = await load('arc/bad.jsonl', { format: 'arc', skipBadRows: true, onBadRow: (e) => errors.push(e) });
    expect(tasks.map((t) => t.id)).toEqual(['ok_1']);
    expect(errors.map((e) => [e.line, e.field])).toEqual([
      [2, 'answerKey'],
      [3, 'question.choices[1].label'],
      [4, 'choices.label'],
    ]);
    expect(errors[0]?.message).toMatch(/bad\.jsonl:2: field 'answerKey': answer key 'D' is not among the choice labels A, B, C$/);
  });
});
