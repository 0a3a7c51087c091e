import { describe, expect, it } from 'vitest';
import { fc, test as propTest } from '@fast-check/vitest';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import { splitContext } from '../../scenarios/split.ts';
import { renderQuestion, renderSystemPrompts, speakingOrder } from '../../scenarios/prompt.ts';
import type { Task } from '../../scenarios/task.ts';
import { Rng } from '../../engine/base/rng.ts';

const hotpot = resolveScenario('hotpotqa').scenario;
const twoWiki = resolveScenario('2wiki').scenario;
const trivia = resolveScenario('triviaqa').scenario;
const cbt = resolveScenario('cbt').scenario;
const gsm8k = resolveScenario('gsm8k').scenario;

function multihop(n: number): Task {
  return {
    id: 'h1',
    dataset: 'hotpotqa',
    question: 'Which city was the director of Red Dawn born in?',
    answers: ['Lyon'],
    context: Array.from({ length: n }, (_, i) => ({
      title: `P${i}`,
      sentences: [`P${i} first sentence.`, `P${i} second sentence.`],
      supporting: i === 1 || i === 4,
    })),
    meta: {},
  };
}

describe('context split rules (§1.2)', () => {
  it('HotpotQA: the two supporting paragraphs go to different agents, first sentences only', () => {
    for (let seed = 0; seed < 20; seed++) {
      const [a, b] = splitContext(hotpot, multihop(8), Rng.keyed(seed, 'h1'));
      const holder = (s: string) => (a?.includes(s) ? 'A' : b?.includes(s) ? 'B' : '-');
      expect(holder('P1 first sentence.')).not.toBe(holder('P4 first sentence.'));
      expect([...(a ?? []), ...(b ?? [])].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `P${i} first sentence.`).sort());
    }
  });

  it('2Wiki: supporting paragraphs alternate in source order, starting with the first agent', () => {
    const [a, b] = splitContext(twoWiki, multihop(6), Rng.keyed(3, 'x'));
    expect(a).toContain('P1 first sentence.');
    expect(a).toContain('P1 second sentence.');
    expect(b).toContain('P4 first sentence.');
  });

  it('TriviaQA: every snippet is dealt, alternately', () => {
    const task = { ...multihop(5), context: multihop(5).context.map((p) => ({ ...p, supporting: false, sentences: [p.sentences[0] as string] })) };
    const [a, b] = splitContext(trivia, task, Rng.keyed(1, 'x'));
    expect(a).toHaveLength(3);
    expect(b).toHaveLength(2);
  });

  it('CBT: the first half of the story goes to the first agent', () => {
    const story = Array.from({ length: 20 }, (_, i) => `S${i + 1}.`);
    const task: Task = { id: 'c', dataset: 'cbt', question: 'q XXXXX', answers: ['dog'], options: ['dog', 'cat'], context: [{ sentences: story, supporting: true }], meta: {} };
    const [a, b] = splitContext(cbt, task, Rng.keyed(1, 'c'));
    expect(a).toEqual(story.slice(0, 10));
    expect(b).toEqual(story.slice(10));
  });

  it('debate: nobody gets context', () => {
    expect(splitContext(gsm8k, multihop(3), Rng.keyed(1, 'x'))).toEqual([[], []]);
  });

  propTest.prop([fc.integer({ min: 0, max: 30 }), fc.nat()])('a split deals every piece exactly once and depends only on its key', (n, seed) => {
    const task = multihop(n);
    const first = splitContext(twoWiki, task, Rng.keyed(seed, task.id));
    expect(splitContext(twoWiki, task, Rng.keyed(seed, task.id))).toEqual(first);
    expect(first.flat().sort()).toEqual(task.context.flatMap((p) => p.sentences).sort());
  });
});

describe('system prompts', () => {
  it('fills name, partner, question and information per agent', () => {
    const task = multihop(2);
    const prompts = renderSystemPrompts(hotpot, task, [['fact A'], ['fact B1', 'fact B2']]);
    expect(prompts[0]).toMatch(/^You are Alice\. You and Bob /);
    expect(prompts[0]).toContain('fact A');
    expect(prompts[0]).not.toContain('fact B1');
    expect(prompts[1]).toContain('fact B1\nfact B2');
    expect(prompts[1]).toContain(task.question);
    expect(prompts.join('')).not.toMatch(/\$\{/);
  });

  it('appends the options suffix for multiple-choice tasks only', () => {
    const task: Task = { id: 'a', dataset: 'arc', question: 'Which is a metal?', answers: ['iron'], options: ['iron', 'wood'], context: [], meta: {} };
    const arc = resolveScenario('arc').scenario;
    expect(renderQuestion(arc, task)).toBe("Which is a metal?\nPlease choose your answer from ['iron', 'wood']");
    expect(renderQuestion(arc, { ...task, options: undefined })).toBe('Which is a metal?');
  });

  it('starts with the scenario\'s first speaker', () => {
    expect(speakingOrder({ ...gsm8k, turns: { ...gsm8k.turns, first: 'Bob' } })).toEqual([1, 0]);
    expect(speakingOrder(gsm8k)).toEqual([0, 1]);
  });
});
