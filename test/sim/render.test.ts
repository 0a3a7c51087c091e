import { describe, expect, it } from 'vitest';
import { extractAnswer } from '../../scenarios/answers.ts';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';
import type { ChatMessage } from '../../engine/base/model-backend.ts';
import { moveEvidence, moveTexts, textDistribution } from '../../engine/sim/distribution.ts';
import { generateArithmeticTasks, generateIeTasks } from '../../engine/sim/generate.ts';
import { logLikelihoodSync } from '../../engine/sim/likelihood.ts';
import { CRITIC_MOVES, IE_MOVES, M, MOVES, SOLVER_MOVES } from '../../engine/sim/moves.ts';
import { defaultParams, skillOf, type SimParams } from '../../engine/sim/params.ts';
import { moveProbabilities, policyInput } from '../../engine/sim/policy.ts';
import { sampleSync } from '../../engine/sim/sample.ts';
import { agentPrompts } from './helpers.ts';
import { dialogueState } from '../../engine/sim/state.ts';
import { countTokens } from '../../engine/sim/tokcount.ts';
import { createSimWorld, type SimWorld } from '../../engine/sim/world.ts';
import { llama3Count } from '../../scenarios/tokens.ts';

/** All weights zero: every legal move equally likely, so random play reaches every move. */
const uniform: SimParams = { ...defaultParams(), weights: new Float64Array(defaultParams().weights.length) };

const extraTasks: Record<string, Task[]> = {
  arc: [{ id: 'arc-1', dataset: 'arc', question: 'Which gas do plants absorb?', answers: ['carbon dioxide'], options: ['oxygen', 'carbon dioxide', 'helium'], context: [], meta: {} }],
  math: [
    {
      id: 'math-1',
      dataset: 'math',
      question: 'What is $\\frac{1}{2} + \\frac{1}{3}$?',
      answers: ['\\frac{5}{6}'],
      context: [],
      meta: { level: 'Level 2', solution: 'We have $\\frac{3}{6} + \\frac{2}{6}$.\nSo the sum is $\\boxed{\\frac{5}{6}}$.' },
    },
  ],
  cbt: [
    {
      id: 'cbt-1',
      dataset: 'cbt',
      question: 'The XXXXX ran into the forest.',
      answers: ['fox'],
      options: ['fox', 'dog', 'king'],
      context: [{ sentences: ['Once there was a king.', 'The king had a dog.', 'A fox lived by the river.', 'The fox stole bread.'], supporting: false }],
      meta: {},
    },
  ],
};

interface Visit {
  world: SimWorld;
  messages: ChatMessage[];
  speaker: string;
}

/** States reached by random play (uniform moves, T = 1) on a scenario's tasks. */
function visits(scenario: Scenario, tasks: Task[], dialogues: number): Visit[] {
  const world = createSimWorld(scenario, tasks);
  const names = scenario.agents.map((a) => a.name);
  const out: Visit[] = [];
  tasks.forEach((task, ti) => {
    const prompts = agentPrompts(scenario, task, ti);
    // The second agent speaking first (a critic with nothing to check yet).
    out.push({ world, messages: [{ role: 'system', content: prompts.get(names[1] as string) as string }], speaker: names[1] as string });
    for (let d = 0; d < dialogues; d++) {
      const said: string[] = [];
      for (let turn = 0; turn < 6; turn++) {
        const speaker = names[turn % names.length] as string;
        const messages: ChatMessage[] = [{ role: 'system', content: prompts.get(speaker) as string }, ...said.map((c) => ({ role: 'assistant' as const, content: c }))];
        out.push({ world, messages, speaker });
        const [c] = sampleSync(world, uniform, { messages, speaker, n: 1, temperature: 1, maxTokens: 4000, seed: ti * 1000 + d * 10 + turn });
        said.push(c?.text as string);
      }
    }
  });
  return out;
}

const cases: Array<[string, Task[]]> = [
  ['gsm8k', generateArithmeticTasks(2, 6)],
  ['hotpotqa', generateIeTasks(2, 6)],
  ['arc', extraTasks.arc as Task[]],
  ['math', extraTasks.math as Task[]],
  ['cbt', extraTasks.cbt as Task[]],
];

describe('rendering and recognition round trip', () => {
  for (const [name, tasks] of cases) {
    it(`${name}: every text of every legal move is recognised as that move and scored exactly`, () => {
      const scenario = resolveScenario(name).scenario;
      // Non-zero answer skills: the contents' probabilities move with them, the texts do not.
      const params = { ...defaultParams(), skills: Float64Array.of(0.7, -1.2, 2, 0.3, -0.5) };
      const seen = new Set<number>();
      for (const v of visits(scenario, tasks, 6)) {
        const s = dialogueState(v.world, v.messages, v.speaker);
        const input = policyInput(s);
        const probs = moveProbabilities(params, input, 1);
        const dist = textDistribution(s, input.mask, probs, params);
        for (let m = 0; m < MOVES.length; m++) {
          if (!input.mask[m]) continue;
          seen.add(m);
          for (const t of moveTexts(s, m, params)) {
            expect(t.text.startsWith(`${v.speaker}: `)).toBe(true);
            expect(moveEvidence(s, input.mask, t.text, params)[m]).toBeGreaterThanOrEqual(t.q - 1e-12);
            const ll = logLikelihoodSync(v.world, params, v.messages, t.text);
            expect(ll.logprob).toBeCloseTo(Math.log(dist.get(t.text) as number), 12);
            expect(ll.tokens).toBe(llama3Count(t.text));
          }
        }
      }
      const expected = scenario.family === 'debate' ? [...SOLVER_MOVES, ...CRITIC_MOVES] : IE_MOVES;
      expect([...seen].sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b));
    });
  }
});

describe('what the text says', () => {
  const scenario = resolveScenario('gsm8k').scenario;
  const tasks = generateArithmeticTasks(9, 40);
  const world = createSimWorld(scenario, tasks);

  it('writes the gold solution lines for a right stepwise answer and altered ones for a wrong one', () => {
    let right = 0;
    let wrong = 0;
    for (const t of tasks) {
      const messages: ChatMessage[] = [{ role: 'system', content: agentPrompts(scenario, t, 1).get('Alice') as string }];
      const s = dialogueState(world, messages, 'Alice');
      for (const { text } of moveTexts(s, M.SOLVE_STEPWISE)) {
        const answer = extractAnswer(text, 'boxed');
        const lines = String(t.meta.solution).split('\n');
        if (answer === t.answers[0]) {
          right++;
          for (const line of lines) expect(text).toContain(line);
        } else {
          wrong++;
          expect(text).toContain(lines.slice(0, -1).join('\n'));
          expect(text).toContain(`= ${answer}\n`);
        }
      }
    }
    expect(right).toBeGreaterThan(0);
    expect(wrong).toBeGreaterThan(0);
  });

  it('quotes context sentences verbatim when sharing, and answers in the tag format', () => {
    const ie = resolveScenario('hotpotqa').scenario;
    const [t] = generateIeTasks(4, 1) as [Task];
    const w = createSimWorld(ie, [t]);
    const prompt = agentPrompts(ie, t, 1).get('Alice') as string;
    const s = dialogueState(w, [{ role: 'system', content: prompt }], 'Alice');
    const sentences = t.context.map((c) => c.sentences[0] as string).filter((x) => prompt.includes(x));
    for (const { text } of moveTexts(s, M.SHARE_VERBOSE)) for (const x of sentences) expect(text).toContain(x);
    for (const { text } of moveTexts(s, M.ANSWER_TERSE)) expect(text).toMatch(/<A>[^<]+<\/A>/);
  });
});

describe('maxTokens', () => {
  it('cuts a long utterance to the limit and says so', () => {
    const scenario = resolveScenario('gsm8k').scenario;
    const tasks = generateArithmeticTasks(3, 20);
    const world = createSimWorld(scenario, tasks);
    const t = tasks.find((x) => x.meta.steps === 4) as Task;
    const messages: ChatMessage[] = [{ role: 'system', content: agentPrompts(scenario, t, 1).get('Alice') as string }];
    const stepwise: SimParams = { ...uniform, weights: new Float64Array(uniform.weights) };
    stepwise.weights[M.SOLVE_STEPWISE] = 50; // bias row: always solve stepwise
    const req = { messages, speaker: 'Alice', n: 3, temperature: 1, seed: 5 };
    const full = sampleSync(world, stepwise, { ...req, maxTokens: 1000 });
    const cut = sampleSync(world, stepwise, { ...req, maxTokens: 12 });
    full.forEach((f, i) => {
      const c = cut[i];
      expect(f.finishReason).toBe('stop');
      expect(f.tokens).toBe(llama3Count(f.text));
      expect(c?.finishReason).toBe('length');
      expect(c?.tokens).toBeLessThanOrEqual(12);
      expect(c?.tokens).toBe(countTokens(c?.text as string));
      expect(f.text.startsWith(c?.text as string)).toBe(true);
    });
  });
});
