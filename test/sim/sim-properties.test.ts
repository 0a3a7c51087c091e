/**
 * Properties of the simulated model that hold for every state, parameter set and input text.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import { llama3Count } from '../../scenarios/tokens.ts';
import type { ChatMessage } from '../../engine/base/model-backend.ts';
import { SimBackend } from '../../engine/sim/backend.ts';
import { textDistribution } from '../../engine/sim/distribution.ts';
import { FEATURE_COUNT } from '../../engine/sim/features.ts';
import { generateArithmeticTasks, generateIeTasks } from '../../engine/sim/generate.ts';
import { logLikelihoodSync } from '../../engine/sim/likelihood.ts';
import { M, MOVE_COUNT, SKILL_COUNT, SKILL_MOVES } from '../../engine/sim/moves.ts';
import { baseAccuracy, contents, SKILL_CAP, skilledAccuracy } from '../../engine/sim/outcomes.ts';
import { defaultParams, WORDING_COUNT, type SimParams } from '../../engine/sim/params.ts';
import { moveProbabilities, policyInput, softmaxMoves } from '../../engine/sim/policy.ts';
import { sampleSync } from '../../engine/sim/sample.ts';
import { agentPrompts } from './helpers.ts';
import { dialogueState } from '../../engine/sim/state.ts';
import { countTokens } from '../../engine/sim/tokcount.ts';
import { createSimWorld } from '../../engine/sim/world.ts';

const setups = (['gsm8k', 'hotpotqa'] as const).map((name) => {
  const scenario = resolveScenario(name).scenario;
  const tasks = name === 'gsm8k' ? generateArithmeticTasks(4, 8) : generateIeTasks(4, 8);
  return { scenario, tasks, world: createSimWorld(scenario, tasks) };
});

/** Random move weights, answer skills (well past SKILL_CAP, where tanh saturates) and wording. */
const paramsArb: fc.Arbitrary<SimParams> = fc
  .record({
    w: fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: FEATURE_COUNT * MOVE_COUNT, maxLength: FEATURE_COUNT * MOVE_COUNT }),
    s: fc.array(fc.oneof(fc.constant(0), fc.double({ min: -8, max: 8, noNaN: true })), { minLength: SKILL_COUNT, maxLength: SKILL_COUNT }),
    z: fc.array(fc.oneof(fc.constant(0), fc.double({ min: -4, max: 4, noNaN: true })), { minLength: WORDING_COUNT, maxLength: WORDING_COUNT }),
  })
  .map(({ w, s, z }) => ({ ...defaultParams(), weights: Float64Array.from(w), skills: Float64Array.from(s), wording: Float64Array.from(z) }));

const temperatureArb = fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 10, noNaN: true }));

/** A dialogue state reached by play under random parameters: setup, messages and next speaker. */
const stateArb = fc
  .record({ setup: fc.nat({ max: 1 }), task: fc.nat({ max: 7 }), turns: fc.nat({ max: 6 }), seed: fc.nat(), params: paramsArb })
  .map(({ setup, task, turns, seed, params }) => {
    const { scenario, tasks, world } = setups[setup] as (typeof setups)[number];
    const prompts = agentPrompts(scenario, tasks[task] as (typeof tasks)[number], seed);
    const names = scenario.agents.map((a) => a.name);
    const said: ChatMessage[] = [];
    const view = (speaker: string): ChatMessage[] => [{ role: 'system', content: prompts.get(speaker) as string }, ...said];
    for (let t = 0; t < turns; t++) {
      const speaker = names[t % 2] as string;
      const [c] = sampleSync(world, params, { messages: view(speaker), speaker, n: 1, temperature: 1, maxTokens: 4000, seed: seed + t });
      said.push({ role: 'assistant', content: c?.text as string });
    }
    const speaker = names[turns % 2] as string;
    return { world, messages: view(speaker), speaker, params };
  });

describe('move probabilities', () => {
  test.prop([
    fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: MOVE_COUNT, maxLength: MOVE_COUNT }),
    fc.array(fc.boolean(), { minLength: MOVE_COUNT, maxLength: MOVE_COUNT }).filter((m) => m.some(Boolean)),
    temperatureArb,
  ])('sum to 1 over the legal moves and are 0 elsewhere, at any temperature', (z, legal, temperature) => {
    const mask = Uint8Array.from(legal, Number);
    const p = softmaxMoves(Float64Array.from(z), mask, temperature);
    expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9);
    p.forEach((x, m) => {
      expect(x).toBeGreaterThanOrEqual(0);
      if (!mask[m]) expect(x).toBe(0);
    });
  });

  test.prop([stateArb, temperatureArb], { numRuns: 60 })('sum to 1 in every reachable state', ({ world, messages, speaker, params }, temperature) => {
    const p = moveProbabilities(params, policyInput(dialogueState(world, messages, speaker)), temperature);
    expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9);
  });
});

describe('the distribution over utterances', () => {
  test.prop([stateArb], { numRuns: 60 })('is normalised over every producible text, and logLikelihood reads it exactly', ({ world, messages, speaker, params }) => {
    const s = dialogueState(world, messages, speaker);
    const input = policyInput(s);
    const dist = textDistribution(s, input.mask, moveProbabilities(params, input, 1), params);
    let total = 0;
    for (const p of dist.values()) total += p;
    expect(Math.abs(total - 1)).toBeLessThan(1e-9);
    for (const [text, p] of dist) expect(logLikelihoodSync(world, params, messages, text).logprob).toBeCloseTo(Math.log(p), 9);
  });
});

describe('answer contents under a skill', () => {
  test.prop([stateArb, fc.double({ min: -8, max: 8, noNaN: true })], { numRuns: 60 })(
    'sum to 1, keep p_gold within SKILL_CAP logits of the base (exactly the base for a guess), and are affine in p_gold as training assumes',
    ({ world, messages, speaker }, skill) => {
      const s = dialogueState(world, messages, speaker);
      const logit = (p: number) => Math.log(p / (1 - p));
      for (const move of SKILL_MOVES.map((name) => M[name])) {
        const acc = baseAccuracy(s, move);
        expect(acc).not.toBeNull();
        const { base, skilled } = acc as { base: number; skilled: boolean };
        const at0 = contents(s, move, 0);
        const atS = contents(s, move, skill);
        expect(atS.length).toBe(at0.length);
        expect(Math.abs(atS.reduce((a, c) => a + c.p, 0) - 1)).toBeLessThan(1e-12);
        const g = skilled ? skilledAccuracy(base, skill) : base;
        if (skilled) expect(Math.abs(logit(g) - logit(base))).toBeLessThanOrEqual(SKILL_CAP + 1e-9);
        atS.forEach((c, i) => {
          const c0 = at0[i] as (typeof at0)[number];
          expect(c.p).toBeGreaterThanOrEqual(0);
          expect(c.value).toBe(c0.value);
          // p(skill) = p(0) + (p_gold − p_base)·dp/dp_gold, the form train.ts differentiates.
          expect(c.p).toBeCloseTo(c0.p + (g - base) * (c0.dg ?? 0), 12);
          if (!skilled) expect(c.p).toBe(c0.p);
        });
        expect(Math.abs(at0.reduce((a, c) => a + (c.dg ?? 0), 0))).toBeLessThan(1e-12);
      }
    },
  );
});

describe('sampling', () => {
  test.prop([stateArb, stateArb, temperatureArb, fc.nat(), fc.integer({ min: 1, max: 4 })], { numRuns: 60 })(
    'is a pure function of (seed, i, messages, params): no hidden state between calls',
    (a, b, temperature, seed, n) => {
      const req = (x: typeof a) => ({ messages: x.messages, speaker: x.speaker, n, temperature, maxTokens: 300, seed });
      const first = sampleSync(a.world, a.params, req(a));
      sampleSync(b.world, b.params, req(b));
      expect(sampleSync(a.world, a.params, req(a))).toEqual(first);
      // Continuation i does not depend on how many were asked for.
      expect(sampleSync(a.world, a.params, { ...req(a), n: n + 2 }).slice(0, n)).toEqual(first);
      // A fresh backend over a fresh world gives the same result: memos change speed only.
      const setup = setups.find((x) => x.world === a.world) as (typeof setups)[number];
      const fresh = new SimBackend(createSimWorld(setup.scenario, setup.tasks), a.params);
      expect(fresh.sampleSync(req(a))).toEqual(first);
    },
  );
});

describe('logLikelihood', () => {
  const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('', 'Alice:', 'Bob: <A></A>', 'Alice: \\boxed{', 'Alice: \\boxed{}'));
  test.prop([stateArb, text], { numRuns: 80 })('is finite and ≤ 0 for any string, with or without context', ({ world, messages, params }, t) => {
    for (const ctx of [messages, [] as ChatMessage[], [{ role: 'system' as const, content: t }]]) {
      const ll = logLikelihoodSync(world, params, ctx, t);
      expect(Number.isFinite(ll.logprob)).toBe(true);
      expect(ll.logprob).toBeLessThanOrEqual(0);
      expect(ll.tokens).toBe(llama3Count(t));
    }
  });
});

describe('token counting', () => {
  const pieces = fc.constantFrom(' ', '  ', '\n', '\n\n', ' \n', "'s", "'LL", '123', '4567', 'Alice', ':', '<A>', '</A>', '\\boxed{', '}', '🙂', 'é', '\t', '<|eot_id|>', '...');
  test.prop([fc.oneof(fc.string({ unit: 'binary' }), fc.array(pieces).map((p) => p.join('')))])('equals llama3Count', (t) => {
    expect(countTokens(t)).toBe(llama3Count(t));
  });
});
