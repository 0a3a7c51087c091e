import { describe, expect, it } from 'vitest';
import { extractAnswer } from '../../scenarios/answers.ts';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import type { Task } from '../../scenarios/task.ts';
import { generateArithmeticTasks, generateIeTasks } from '../../engine/sim/generate.ts';
import { buildOracle, renderAnswer } from '../../engine/sim/oracle.ts';
import { agentPrompts } from './helpers.ts';
import { createSimWorld } from '../../engine/sim/world.ts';

const gsm8k = resolveScenario('gsm8k').scenario;
const hotpot = resolveScenario('hotpotqa').scenario;

/** How many times `run` searches a string for a substring (includes, indexOf, startsWith). */
function substringSearches(run: () => void): number {
  const methods = ['includes', 'indexOf', 'startsWith'] as const;
  const proto = String.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const saved = methods.map((m) => proto[m] as (...args: unknown[]) => unknown);
  let n = 0;
  methods.forEach((m, i) => {
    const original = saved[i] as (...args: unknown[]) => unknown;
    proto[m] = function (this: string, ...args: unknown[]) {
      n++;
      return original.apply(this, args);
    };
  });
  try {
    run();
  } finally {
    methods.forEach((m, i) => (proto[m] = saved[i] as (...args: unknown[]) => unknown));
  }
  return n;
}

const task = (over: Partial<Task>): Task => ({ id: 't', dataset: 'x', question: 'Q?', answers: ['1'], context: [], meta: {}, ...over });

describe('question lookup', () => {
  it('finds the task whose question sits inside a prompt line, among many', () => {
    const tasks = generateArithmeticTasks(3, 300);
    const world = createSimWorld(gsm8k, tasks);
    for (const t of [tasks[0], tasks[150], tasks[299]] as Task[]) {
      const prompt = agentPrompts(gsm8k, t, 1).get('Bob') as string;
      expect(world.view(prompt).entry?.task.id).toBe(t.id);
      expect(world.view(`Some preamble.\nPROBLEM >> ${t.question} << answer it`).entry?.task.id).toBe(t.id);
    }
  });

  it('tells apart tasks that share a question by the context the prompt holds', () => {
    const a = task({ id: 'a', question: 'Who wrote it?', answers: ['Ann'], context: [{ sentences: ['The book was written by Ann Lee.'], supporting: true }] });
    const b = task({ id: 'b', question: 'Who wrote it?', answers: ['Bo'], context: [{ sentences: ['The poem was written by Bo Chan.'], supporting: true }] });
    const world = createSimWorld(hotpot, [a, b]);
    expect(world.view('Question: Who wrote it?\nInfo:\nThe poem was written by Bo Chan.').entry?.task.id).toBe('b');
    expect(world.view('Question: Who wrote it?\nInfo:\nThe book was written by Ann Lee.').entry?.task.id).toBe('a');
  });

  it('searches a prompt as often in a world of 6,000 tasks as in one of 500, though their questions share a key', () => {
    // Generated questions share their first words ("Which city was the ..."), so one lookup key
    // holds a large part of the stream; questions are kept unique so that no context is compared.
    const unique = [...new Map(generateIeTasks(2, 12_000).map((t) => [t.question, t])).values()].slice(0, 6000);
    expect(unique).toHaveLength(6000);
    const probes = [unique[0], unique[250], unique[499]] as Task[];
    const searchesPerView = (size: number) => {
      const world = createSimWorld(hotpot, unique.slice(0, size));
      return probes.map((t) => {
        const prompt = agentPrompts(hotpot, t, 1).get('Alice') as string;
        return substringSearches(() => expect(world.view(prompt).entry?.task.id).toBe(t.id));
      });
    };
    expect(searchesPerView(6000)).toEqual(searchesPerView(500));
  });

  it('falls back to guesses taken from the prompt for an unknown question, without throwing', () => {
    const world = createSimWorld(gsm8k, generateArithmeticTasks(1, 5));
    const v = world.view('You are Alice. Problem: Tom has 12 pears and eats 5. How many are left?');
    expect(v.entry).toBeNull();
    expect(v.oracle.known).toBe(false);
    expect(v.oracle.candidates).toEqual(['12', '5']);
    expect(createSimWorld(hotpot, []).view('').oracle.candidates).toEqual(['unknown']);
  });

  it('records which facts the prompt holds, in prompt order', () => {
    const [t] = generateIeTasks(5, 1) as [Task];
    const world = createSimWorld(hotpot, [t]);
    const prompts = agentPrompts(hotpot, t, 2);
    const held = [...prompts.values()].map((p) => world.view(p).held);
    // Every fact is dealt to exactly one agent.
    expect(held.flat().sort()).toEqual(t.context.map((_, i) => i));
    for (const [i, p] of [...prompts.values()].entries()) {
      const positions = (held[i] as number[]).map((f) => p.indexOf(world.view(p).oracle.facts[f]?.text as string));
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
    }
  });
});

describe('oracle', () => {
  const parse = (v: string, f: 'tag' | 'boxed') => extractAnswer(renderAnswer(v, f), f);

  it('gives numeric slips of the gold for arithmetic, all parsing differently from it', () => {
    const o = buildOracle(task({ answers: ['72'], meta: { solution: '48 / 2 = <<48/2=24>>24\n48 + 24 = 72\n#### 72' } }), 'boxed', false);
    expect(o.candidates[0]).toBe('72');
    expect(o.wrong).toEqual(['24', '73', '71', '79', '65']);
    expect(o.goldSteps).toEqual(['48 / 2 = 24', '48 + 24 = 72']);
    expect(new Set(o.parsed).size).toBe(o.parsed.length);
    expect(o.difficulty).toBeCloseTo(1 / 7);
  });

  it('perturbs the numbers of a LaTeX gold, uses the other options, and context entities', () => {
    expect(buildOracle(task({ answers: ['\\frac{5}{6}'], meta: { level: 'Level 4' } }), 'boxed', false)).toMatchObject({
      wrong: ['\\frac{6}{6}', '\\frac{4}{6}', '\\frac{5}{7}', '\\frac{5}{5}'],
      difficulty: 0.8,
    });
    expect(buildOracle(task({ answers: ['b'], options: ['a', 'b', 'c'] }), 'tag', false).wrong).toEqual(['a', 'c']);
    const ie = buildOracle(
      task({
        question: 'Where was the director of Dune born?',
        answers: ['Paris'],
        context: [
          { title: 'Dune', sentences: ['Dune is a film by Ann Lee.'], supporting: true },
          { title: 'Ann Lee', sentences: ['Ann Lee was born in Paris.'], supporting: true },
          { title: 'Bo Chan', sentences: ['Bo Chan was born in Rome.', 'He lives in Oslo.'], supporting: false },
        ],
      }),
      'tag',
      true,
    );
    expect(ie.wrong).toEqual(['Bo Chan', 'Rome', 'Ann Lee']);
    expect(ie.needed.map((f) => ie.facts[f]?.text)).toEqual(['Dune is a film by Ann Lee.', 'Ann Lee was born in Paris.']);
    expect(ie.difficulty).toBeCloseTo(0.4);
    for (const w of ie.wrong) expect(parse(w, 'tag')).not.toBe('Paris');
  });

  it('takes meta.difficulty when given and 0.5 otherwise', () => {
    expect(buildOracle(task({ meta: { difficulty: 0.9 } }), 'tag', false).difficulty).toBe(0.9);
    expect(buildOracle(task({ answers: ['x'] }), 'tag', false).difficulty).toBe(0.5);
  });
});
