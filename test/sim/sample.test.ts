import { describe, expect, it } from 'vitest';
import { extractAnswer } from '../../scenarios/answers.ts';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import type { Task } from '../../scenarios/task.ts';
import type { ChatMessage, SampleRequest } from '../../engine/base/model-backend.ts';
import { moveTexts } from '../../engine/sim/distribution.ts';
import { generateArithmeticTasks, generateIeTasks } from '../../engine/sim/generate.ts';
import { M } from '../../engine/sim/moves.ts';
import { cloneParams, defaultParams, type SimParams } from '../../engine/sim/params.ts';
import { SKILL_COUNT, SKILL_OF } from '../../engine/sim/moves.ts';
import { contents, SKILL_CAP, skilledAccuracy } from '../../engine/sim/outcomes.ts';
import { sampleSync } from '../../engine/sim/sample.ts';
import { agentPrompts } from './helpers.ts';
import { dialogueState } from '../../engine/sim/state.ts';
import { createSimWorld } from '../../engine/sim/world.ts';

const gsm8k = resolveScenario('gsm8k').scenario;
const hotpot = resolveScenario('hotpotqa').scenario;
const arith = generateArithmeticTasks(21, 200);
const ie = generateIeTasks(21, 150);
const debateWorld = createSimWorld(gsm8k, arith);
const ieWorld = createSimWorld(hotpot, ie);

/** Base params with one move made (nearly) certain wherever it is legal, and that move's answer skill. */
function forcing(move: number, skill = 0): SimParams {
  const p = defaultParams();
  const weights = new Float64Array(p.weights);
  weights[move] = 60; // feature 0 is the bias
  const skills = new Float64Array(SKILL_COUNT);
  if ((SKILL_OF[move] as number) >= 0) skills[SKILL_OF[move] as number] = skill;
  return cloneParams(p, weights, skills);
}

const system = (prompt: string): ChatMessage[] => [{ role: 'system', content: prompt }];
const said = (text: string): ChatMessage => ({ role: 'assistant', content: text });

/** An IE task where both agents shared everything they hold (the greedy phrasing of SHARE_VERBOSE): Alice's prompt and the two utterances. */
function bothShared(t: Task, i: number): { alice: ChatMessage[]; a: string; b: string } {
  const prompts = agentPrompts(hotpot, t, i);
  const alice = system(prompts.get('Alice') as string);
  const bob = system(prompts.get('Bob') as string);
  const a = moveTexts(dialogueState(ieWorld, alice, 'Alice'), M.SHARE_VERBOSE)[0]?.text ?? 'Alice: ...';
  const b = moveTexts(dialogueState(ieWorld, [...bob, said(a)], 'Bob'), M.SHARE_VERBOSE)[0]?.text ?? 'Bob: ...';
  return { alice, a, b };
}

describe('determinism', () => {
  const t = arith[0] as Task;
  const base: SampleRequest = { messages: system(agentPrompts(gsm8k, t, 1).get('Alice') as string), speaker: 'Alice', n: 4, temperature: 0, maxTokens: 500, seed: 1 };

  it('is greedy at temperature 0: the same text for every seed and continuation', () => {
    const texts = [1, 2, 3].flatMap((seed) => sampleSync(debateWorld, defaultParams(), { ...base, seed }).map((c) => c.text));
    expect(new Set(texts).size).toBe(1);
  });

  it('gives different samples for different seeds at temperature > 0, and continuation i depends on (seed, i) only', () => {
    const req = { ...base, temperature: 1, n: 8 };
    const a = sampleSync(debateWorld, defaultParams(), req).map((c) => c.text);
    const b = sampleSync(debateWorld, defaultParams(), { ...req, seed: 2 }).map((c) => c.text);
    expect(a).not.toEqual(b);
    expect(new Set(a).size).toBeGreaterThan(1);
    expect(sampleSync(debateWorld, defaultParams(), { ...req, n: 3 }).map((c) => c.text)).toEqual(a.slice(0, 3));
  });
});

describe('outcomes', () => {
  it('answers an IE question right far more often once the needed facts were exchanged', () => {
    const answer = forcing(M.ANSWER_TERSE);
    let atOnce = 0;
    let informed = 0;
    let n = 0;
    ie.forEach((t, i) => {
      const { alice, a, b } = bothShared(t, i);
      const req = { speaker: 'Alice', n: 10, temperature: 1, maxTokens: 500, seed: i };
      const gold = (c: { text: string }) => extractAnswer(c.text, 'tag') === t.answers[0];
      atOnce += sampleSync(ieWorld, answer, { ...req, messages: alice }).filter(gold).length;
      informed += sampleSync(ieWorld, answer, { ...req, messages: [...alice, said(a), said(b)] }).filter(gold).length;
      n += 10;
    });
    // Informed accuracy is 0.95 − 0.45·d; generated tasks' difficulty averages about 0.5.
    expect(atOnce / n).toBeLessThan(0.2);
    expect(informed / n).toBeGreaterThan(0.6);
  });

  it('solves more accurately stepwise than tersely', () => {
    const rate = (params: SimParams) => {
      let right = 0;
      arith.forEach((t, i) => {
        const req = { messages: system(agentPrompts(gsm8k, t, i).get('Alice') as string), speaker: 'Alice', n: 5, temperature: 1, maxTokens: 500, seed: i };
        right += sampleSync(debateWorld, params, req).filter((c) => extractAnswer(c.text, 'boxed') === t.answers[0]).length;
      });
      return right / (arith.length * 5);
    };
    expect(rate(forcing(M.SOLVE_STEPWISE))).toBeGreaterThan(rate(forcing(M.SOLVE_TERSE)) + 0.1);
  });

  it('gives the critic a check that flags wrong answers far more often than right ones, whatever the seed', () => {
    let flaggedWrong = 0;
    let flaggedRight = 0;
    arith.forEach((t, i) => {
      const bob = system(agentPrompts(gsm8k, t, i).get('Bob') as string);
      const oracle = debateWorld.view(bob[0]?.content as string).oracle;
      const wrong = dialogueState(debateWorld, [...bob, said(`Alice: \\boxed{${oracle.wrong[0]}}`)], 'Bob');
      const right = dialogueState(debateWorld, [...bob, said(`Alice: \\boxed{${t.answers[0]}}`)], 'Bob');
      if (wrong.verifier === 'flag') flaggedWrong++;
      if (right.verifier === 'flag') flaggedRight++;
      expect(dialogueState(debateWorld, [...bob, said(`Alice: \\boxed{${oracle.wrong[0]}}`)], 'Bob').verifier).toBe(wrong.verifier);
    });
    expect(flaggedWrong / arith.length).toBeGreaterThan(0.5);
    expect(flaggedRight / arith.length).toBeLessThan(0.2);
  });

  it('fixes a wrong answer by revision sometimes, more often after a hint', () => {
    const revise = forcing(M.REVISE);
    const fixRate = (critique: string) => {
      let fixed = 0;
      arith.forEach((t, i) => {
        const alice = system(agentPrompts(gsm8k, t, i).get('Alice') as string);
        const wrong = debateWorld.view(alice[0]?.content as string).oracle.wrong[0];
        const messages = [...alice, said(`Alice: \\boxed{${wrong}}`), said(`Bob: ${critique}`)];
        const cs = sampleSync(debateWorld, revise, { messages, speaker: 'Alice', n: 10, temperature: 1, maxTokens: 500, seed: i });
        fixed += cs.filter((c) => extractAnswer(c.text, 'boxed') === t.answers[0]).length;
      });
      return fixed / (arith.length * 10);
    };
    const challenged = fixRate("I don't think that's right. Please recheck your work.");
    const hinted = fixRate('Check step 1 of your solution.');
    expect(challenged).toBeGreaterThan(0.15);
    expect(hinted).toBeGreaterThan(challenged + 0.1);
  });
});

describe('answer skill', () => {
  const system0 = (t: Task, i: number, name = 'Alice') => system(agentPrompts(gsm8k, t, i).get(name) as string);
  const right = (t: Task) => (c: { text: string }) => extractAnswer(c.text, 'boxed') === t.answers[0];

  it('is bounded: p_gold stays within SKILL_CAP logits of the base, is the base at 0 and grows with the skill', () => {
    const logit = (p: number) => Math.log(p / (1 - p));
    for (const base of [0.02, 0.3, 0.55, 0.9, 0.98]) {
      expect(skilledAccuracy(base, 0)).toBe(base);
      let last = 0;
      for (const skill of [-50, -3, -1, -0.1, 0.1, 1, 3, 50]) {
        const p = skilledAccuracy(base, skill);
        expect(Math.abs(logit(p) - logit(base))).toBeLessThanOrEqual(SKILL_CAP + 1e-9);
        expect(p).toBeGreaterThan(last);
        last = p;
      }
    }
  });

  it('at T = 0 keeps common random numbers: raising a skill only turns wrong greedy answers right', () => {
    let gained = 0;
    arith.forEach((t, i) => {
      const req = { messages: system0(t, i), speaker: 'Alice', n: 1, temperature: 0, maxTokens: 500, seed: i };
      const at = (skill: number) => right(t)((sampleSync(debateWorld, forcing(M.SOLVE_TERSE, skill), req)[0] as { text: string }));
      const [low, mid, high] = [at(-1), at(0), at(2)];
      if (low) expect(mid).toBe(true);
      if (mid) expect(high).toBe(true);
      if (high && !mid) gained++;
      // Right iff the conversation's keyed uniform falls below p_gold: the gold is the first content.
      const s = dialogueState(debateWorld, req.messages, 'Alice');
      expect((contents(s, M.SOLVE_TERSE, 2)[0] as { value?: string }).value).toBe(t.answers[0]);
    });
    expect(gained).toBeGreaterThan(arith.length * 0.1);
  });

  it('at T > 0 draws answers with the skilled p_gold', () => {
    const rate = (params: SimParams) => {
      let hits = 0;
      arith.forEach((t, i) => {
        const req = { messages: system0(t, i), speaker: 'Alice', n: 5, temperature: 1, maxTokens: 500, seed: i };
        hits += sampleSync(debateWorld, params, req).filter(right(t)).length;
      });
      return hits / (arith.length * 5);
    };
    const base = rate(forcing(M.SOLVE_TERSE));
    expect(rate(forcing(M.SOLVE_TERSE, 3))).toBeGreaterThan(base + 0.1);
    expect(rate(forcing(M.SOLVE_TERSE, -3))).toBeLessThan(base - 0.1);
  });

  it('does not make an IE guess reliable: without the needed facts the skill has no effect', () => {
    let informedBase = 0;
    let informedSkilled = 0;
    let n = 0;
    ie.forEach((t, i) => {
      const { alice, a, b } = bothShared(t, i);
      const req = { speaker: 'Alice', n: 10, temperature: 1, maxTokens: 500, seed: i };
      // Answering at once: the same samples whatever the skill.
      const s = dialogueState(ieWorld, alice, 'Alice');
      if (s.visibleNeeded < s.needed) {
        expect(sampleSync(ieWorld, forcing(M.ANSWER_TERSE, 8), { ...req, messages: alice })).toEqual(sampleSync(ieWorld, forcing(M.ANSWER_TERSE), { ...req, messages: alice }));
      }
      const gold = (c: { text: string }) => extractAnswer(c.text, 'tag') === t.answers[0];
      informedBase += sampleSync(ieWorld, forcing(M.ANSWER_TERSE), { ...req, messages: [...alice, said(a), said(b)] }).filter(gold).length;
      informedSkilled += sampleSync(ieWorld, forcing(M.ANSWER_TERSE, 8), { ...req, messages: [...alice, said(a), said(b)] }).filter(gold).length;
      n += 10;
    });
    expect(informedSkilled / n).toBeGreaterThan(informedBase / n + 0.05);
  });
});
