import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadTasks, type LoadOptions } from '../../scenarios/datasets/index.ts';
import type { Task } from '../../scenarios/task.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/datasets/${name}`, import.meta.url));

async function load(name: string, opts: LoadOptions): Promise<Task[]> {
  const tasks: Task[] = [];
  for await (const t of loadTasks(fixture(name), opts)) tasks.push(t);
  return tasks;
}

describe('gsm8k', () => {
  it('takes the gold after the last ####, without thousands commas, and keeps the rationale', async () => {
    const tasks = await load('gsm8k/train.jsonl', { format: 'gsm8k' });
    expect(tasks).toHaveLength(3); // the blank line is not a row
    expect(tasks[0]).toEqual({
      id: 'gsm8k-0',
      dataset: 'gsm8k',
      question: 'Tom has 3 boxes of 4 apples. How many apples does he have?',
      answers: ['12'],
      context: [],
      meta: { solution: 'Each box holds 4 apples, so 3 * 4 = 12 apples.' },
    });
    expect(tasks[1]?.answers).toEqual(['1000']);
    expect(tasks[1]?.meta.solution).toBe('250 * 4 = 1000 eggs.\nThe answer uses a #### marker only once at the end.');
    expect(tasks[2]?.answers).toEqual(['-2']);
    expect(tasks.map((t) => t.options)).toEqual([undefined, undefined, undefined]);
  });

  it('names the field of a row without a final answer', async () => {
    const errors: string[] = [];
    await load('gsm8k/bad.jsonl', { format: 'gsm8k', skipBadRows: true, onBadRow: (e) => errors.push(e.message) });
    expect(errors[2]).toBe(`${fixture('gsm8k/bad.jsonl')}:4: field 'answer': no '####' line with the final answer`);
  });
});
