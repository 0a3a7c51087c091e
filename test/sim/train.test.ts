import { describe, expect, it } from 'vitest';
import { exactMatch } from '../../scenarios/metrics/em.ts';
import { f1Score } from '../../scenarios/metrics/f1.ts';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';
import type { ChatMessage } from '../../engine/model.ts';
import { moveTexts } from '../../engine/sim/distribution.ts';
import { generateArithmeticTasks, generateIeTasks } from '../../engine/sim/generate.ts';
import { logLikelihoodSync } from '../../engine/sim/likelihood.ts';
import { F } from '../../engine/sim/features.ts';
import { M, MOVE_COUNT } from '../../engine/sim/moves.ts';
import { defaultParams, parseParams, serializeParams, type SimParams } from '../../engine/sim/params.ts';
import type { Dialogue } from '../../engine/dialogue.ts';
import { agentPrompts, playDialogue } from './helpers.ts';
import { dialogueState } from '../../engine/sim/state.ts';
import { dpoLoss, dpoStep, logRatio, sftStep, type DpoPair, type SftTarget } from '../../engine/sim/train.ts';
import { createSimWorld, type SimWorld } from '../../engine/sim/world.ts';

/** Token normaliser M of the score, fixed (as the search path's P80 is) so scores compare. */
const M_TOKENS = 150;
const SFT_THRESHOLD = 0.5;

function score(scenario: Scenario, d: Dialogue, task: Task): number {
  const metric = scenario.metric === 'f1' ? f1Score : exactMatch;
  const correct = d.finalAnswer === '' ? 0 : metric(d.finalAnswer, task.answers[0] as string);
  return correct + (scenario.reward.lambdaToken * d.tokenCount) / M_TOKENS;
}

/** Mean validation score: one greedy dialogue per task. */
async function validate(scenario: Scenario, world: SimWorld, params: SimParams, tasks: Task[]): Promise<number> {
  let total = 0;
  for (const t of tasks) {
    const d = await playDialogue(world, params, scenario, t, { promptSeed: 5, temperature: 0, seedKey: [1] });
    total += score(scenario, d, t);
  }
  return total / tasks.length;
}

/** Every utterance of a dialogue as the target after the utterances before it, in its speaker's view. */
function targets(d: Dialogue, prompts: ReadonlyMap<string, string>): SftTarget[] {
  const texts = d.utterances.map((u) => u.text);
  return texts.map((text, i) => {
    const speaker = text.slice(0, text.indexOf(':'));
    const messages: ChatMessage[] = [
      { role: 'system', content: prompts.get(speaker) as string },
      ...texts.slice(0, i).map((content) => ({ role: 'assistant' as const, content })),
    ];
    return { messages, speaker, text };
  });
}

describe('SFT on high-reward dialogues', () => {
  const cases: Array<[string, (seed: number, n: number) => Task[]]> = [
    ['hotpotqa', generateIeTasks],
    ['gsm8k', generateArithmeticTasks],
  ];
  for (const [name, generate] of cases) {
    it(`${name}: raises the mean validation score`, async () => {
      const scenario = resolveScenario(name).scenario;
      const train = generate(11, 100);
      const validation = generate(12, 150);
      const world = createSimWorld(scenario, [...train, ...validation]);
      const base = defaultParams();
      const examples: SftTarget[] = [];
      for (const t of train) {
        const prompts = agentPrompts(scenario, t, 5);
        for (let k = 0; k < 8; k++) {
          const d = await playDialogue(world, base, scenario, t, { promptSeed: 5, temperature: 0.7, seedKey: [9, t.id, k] });
          if (score(scenario, d, t) >= SFT_THRESHOLD) examples.push(...targets(d, prompts));
        }
      }
      const before = await validate(scenario, world, base, validation);
      const trained = sftStep(world, base, examples, { lr: 1, epochs: 300 });
      const after = await validate(scenario, world, trained, validation);
      expect(after).toBeGreaterThan(before + 0.03);
    });
  }

  it('follows the exact gradient of the mean log-likelihood', async () => {
    const scenario = resolveScenario('gsm8k').scenario;
    const tasks = generateArithmeticTasks(3, 6);
    const world = createSimWorld(scenario, tasks);
    const base = defaultParams();
    const examples: SftTarget[] = [];
    for (const [i, t] of tasks.entries()) {
      const d = await playDialogue(world, base, scenario, t, { promptSeed: i, temperature: 1, seedKey: [i] });
      examples.push(...targets(d, agentPrompts(scenario, t, i)));
    }
    const meanLl = (p: SimParams) => examples.reduce((s, e) => s + logLikelihoodSync(world, p, e.messages, e.text).logprob, 0) / examples.length;
    const lr = 1e-3;
    const stepped = sftStep(world, base, examples, { lr });
    for (const i of [M.SOLVE_TERSE, M.SOLVE_STEPWISE, M.CHALLENGE, M.ACCEPT, F.verifierFlag * MOVE_COUNT + M.CHALLENGE]) {
      const h = 1e-6;
      const plus = { ...base, weights: Float64Array.from(base.weights, (w, j) => (j === i ? w + h : w)) };
      const minus = { ...base, weights: Float64Array.from(base.weights, (w, j) => (j === i ? w - h : w)) };
      const numeric = (meanLl(plus) - meanLl(minus)) / (2 * h);
      expect(((stepped.weights[i] as number) - (base.weights[i] as number)) / lr).toBeCloseTo(numeric, 5);
    }
  });
});

describe('DPO', () => {
  const scenario = resolveScenario('hotpotqa').scenario;
  const tasks = generateIeTasks(13, 12);
  const world = createSimWorld(scenario, tasks);
  const base = defaultParams();
  const frozen = Float64Array.from(base.weights);
  // Bob after Alice's first fact: chosen shares back, rejected answers at once.
  const pairs: DpoPair[] = tasks.map((t, i) => {
    const prompts = agentPrompts(scenario, t, i);
    const alice: ChatMessage[] = [{ role: 'system', content: prompts.get('Alice') as string }];
    const opening = moveTexts(dialogueState(world, alice, 'Alice'), M.SHARE_TERSE)[0]?.text as string;
    const messages: ChatMessage[] = [{ role: 'system', content: prompts.get('Bob') as string }, { role: 'assistant', content: opening }];
    const bob = dialogueState(world, messages, 'Bob');
    return { messages, speaker: 'Bob', chosen: moveTexts(bob, M.SHARE_TERSE)[0]?.text as string, rejected: moveTexts(bob, M.ANSWER_TERSE)[0]?.text as string };
  });
  const margin = (p: SimParams, pair: DpoPair) =>
    logRatio(world, p, base, pair.messages, pair.speaker, pair.chosen) - logRatio(world, p, base, pair.messages, pair.speaker, pair.rejected);

  for (const [optimizer, lr] of [['sgd', 1], ['adamw', 0.05]] as const) {
    it(`${optimizer}: one step raises logRatio(chosen) - logRatio(rejected) and lowers the loss`, () => {
      const { params, loss, adamState } = dpoStep(world, base, base, pairs, { beta: 0.5, lr, optimizer });
      expect(loss).toBeCloseTo(Math.log(2), 12);
      for (const pair of pairs) expect(margin(params, pair)).toBeGreaterThan(0);
      expect(dpoLoss(world, params, base, pairs, 0.5)).toBeLessThan(loss);
      expect(base.weights).toEqual(frozen);
      if (optimizer === 'adamw') {
        expect(adamState?.t).toBe(1);
        const next = dpoStep(world, params, base, pairs, { beta: 0.5, lr, optimizer, ...(adamState ? { adamState } : {}) });
        expect(next.adamState?.t).toBe(2);
        expect(adamState?.t).toBe(1);
        expect(next.loss).toBeLessThan(loss);
      }
    });
  }

  it('takes an SGD step along the exact gradient of the loss', () => {
    const start = sftStep(world, base, pairs.map((p) => ({ messages: p.messages, speaker: p.speaker, text: p.rejected })), { lr: 0.5 });
    const lr = 1e-3;
    const { params } = dpoStep(world, start, base, pairs, { beta: 0.7, lr, optimizer: 'sgd' });
    for (const i of [M.SHARE_TERSE, M.ANSWER_TERSE, F.partnerShared * MOVE_COUNT + M.SHARE_TERSE]) {
      const h = 1e-6;
      const at = (d: number) => dpoLoss(world, { ...start, weights: Float64Array.from(start.weights, (w, j) => (j === i ? w + d : w)) }, base, pairs, 0.7);
      const numeric = (at(h) - at(-h)) / (2 * h);
      expect(((start.weights[i] as number) - (params.weights[i] as number)) / lr).toBeCloseTo(numeric, 5);
    }
  });
});

describe('params', () => {
  it('round-trip through JSON and reject another layout', () => {
    const p = { ...defaultParams(), weights: defaultParams().weights.map((w, i) => w + i / 1000) };
    const back = parseParams(JSON.parse(JSON.stringify(serializeParams(p))));
    expect(back.weights).toEqual(p.weights);
    const bad = serializeParams(p);
    expect(() => parseParams({ ...bad, weights: bad.weights.slice(1) })).toThrow(/weights must be/);
    expect(() => parseParams({ ...bad, moves: bad.moves.slice(1) })).toThrow(/move list differs/);
    expect(() => parseParams({ weights: [] })).toThrow(/not simulated-model params/);
  });

});
