import { describe, expect, it } from 'vitest';
import { extractAnswer } from '../../scenarios/answers.ts';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import type { Task } from '../../scenarios/task.ts';
import type { ChatMessage, SampleRequest } from '../../engine/model.ts';
import { moveTexts } from '../../engine/sim/distribution.ts';
import { generateArithmeticTasks, generateIeTasks } from '../../engine/sim/generate.ts';
import { M } from '../../engine/sim/moves.ts';
import { defaultParams, type SimParams } from '../../engine/sim/params.ts';
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

/** Base params with one move made (nearly) certain wherever it is legal. */
function forcing(move: number): SimParams {
  const p = defaultParams();
  const weights = new Float64Array(p.weights);
  weights[move] = 60; // feature 0 is the bias
  return { ...p, weights };
}

const system = (prompt: string): ChatMessage[] => [{ role: 'system', content: prompt }];
const said = (text: string): ChatMessage => ({ role: 'assistant', content: text });

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
      const prompts = agentPrompts(hotpot, t, i);
      const alice = system(prompts.get('Alice') as string);
      const bob = system(prompts.get('Bob') as string);
      // Both agents share everything they hold (the greedy phrasing of SHARE_VERBOSE).
      const a = moveTexts(dialogueState(ieWorld, alice, 'Alice'), M.SHARE_VERBOSE)[0]?.text ?? 'Alice: ...';
      const b = moveTexts(dialogueState(ieWorld, [...bob, said(a)], 'Bob'), M.SHARE_VERBOSE)[0]?.text ?? 'Bob: ...';
      const req = { speaker: 'Alice', n: 10, temperature: 1, maxTokens: 500, seed: i };
      const gold = (c: { text: string }) => extractAnswer(c.text, 'tag') === t.answers[0];
      atOnce += sampleSync(ieWorld, answer, { ...req, messages: alice }).filter(gold).length;
      informed += sampleSync(ieWorld, answer, { ...req, messages: [...alice, said(a), said(b)] }).filter(gold).length;
      n += 10;
    });
    expect(atOnce / n).toBeLessThan(0.3);
    expect(informed / n).toBeGreaterThan(0.7);
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
