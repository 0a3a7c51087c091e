import { describe, expect, it } from 'vitest';
import { generateArithmeticTasks, generateIeTasks } from '../../engine/sim/generate.ts';

/** Checks one `a op b = c` equation. */
function holds(eq: string): boolean {
  const m = /^(\d+) ([-+*/]) (\d+) = (\d+)$/.exec(eq.trim());
  if (!m) return false;
  const [a, b, c] = [Number(m[1]), Number(m[3]), Number(m[4])];
  const ops: Record<string, number> = { '+': a + b, '-': a - b, '*': a * b, '/': a / b };
  return ops[m[2] as string] === c;
}

describe('generateArithmeticTasks', () => {
  const tasks = generateArithmeticTasks(42, 200);

  it('makes word problems whose step lines are correct arithmetic ending at the answer', () => {
    for (const t of tasks) {
      const lines = String(t.meta.solution).split('\n');
      expect(lines.length).toBe(t.meta.steps);
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length).toBeLessThanOrEqual(4);
      for (const line of lines) for (const eq of line.split(', and ')) expect(holds(eq), `${t.id}: ${eq}`).toBe(true);
      expect(lines.at(-1)?.split(' = ').at(-1)).toBe(t.answers[0]);
      expect(Number(t.answers[0])).toBeGreaterThan(0);
      expect(t.question).toMatch(/How many \w+ does \w+ have now\?$/);
      expect(t).toMatchObject({ dataset: 'gen-arith', context: [] });
      expect(t.meta.difficulty).toBeGreaterThanOrEqual(0);
      expect(t.meta.difficulty).toBeLessThanOrEqual(1);
    }
    expect(new Set(tasks.map((t) => t.meta.steps)).size).toBe(4);
  });

  it('makes task i from (seed, i) alone', () => {
    expect(generateArithmeticTasks(42, 20)[13]).toEqual(tasks[13]);
    expect(tasks[13]?.id).toBe('gen-arith-13');
    expect(generateArithmeticTasks(43, 20)[13]).not.toEqual(tasks[13]);
  });
});

describe('generateIeTasks', () => {
  const tasks = generateIeTasks(7, 200);

  it('makes 2-4 hop questions: one supporting piece per hop, 1-6 distractors, a continuous difficulty', () => {
    const hops = new Set<number>();
    const difficulties = new Set<number>();
    for (const t of tasks) {
      const supporting = t.context.filter((c) => c.supporting);
      const distractors = t.context.length - supporting.length;
      expect(supporting).toHaveLength(t.meta.hops as number);
      hops.add(t.meta.hops as number);
      difficulties.add(t.meta.difficulty as number);
      expect(t.meta.difficulty).toBeGreaterThan(0);
      expect(t.meta.difficulty).toBeLessThan(1);
      expect(distractors).toBeGreaterThanOrEqual(1);
      expect(distractors).toBeLessThanOrEqual(6);
      const [gold] = t.answers as [string];
      // The gold is stated by a supporting piece, never by a distractor, and the question
      // names the work of the first hop.
      expect(supporting.some((c) => c.sentences.join(' ').includes(gold))).toBe(true);
      expect(t.context.filter((c) => !c.supporting).some((c) => c.sentences.join(' ').includes(gold))).toBe(false);
      expect(supporting.some((c) => c.title !== undefined && t.question.includes(c.title))).toBe(true);
      expect(t.dataset).toBe('gen-ie');
    }
    // The supporting pieces are not always first.
    expect(tasks.some((t) => !t.context[0]?.supporting)).toBe(true);
    expect([...hops].sort()).toEqual([2, 3, 4]);
    expect(difficulties.size).toBeGreaterThan(tasks.length / 4);
  });

  it('makes task i from (seed, i) alone', () => {
    expect(generateIeTasks(7, 50)[31]).toEqual(tasks[31]);
    expect(tasks[31]?.id).toBe('gen-ie-31');
  });
});
