import { describe, expect, it } from 'vitest';
import { agentMessages, applyReply, LARGE, prepareDialogue, runDialogue, type DialogueSetup, type Utterance } from '../../engine/dialogue/dialogue.ts';
import { Rng } from '../../engine/base/rng.ts';
import { SimBackend } from '../../engine/sim/backend.ts';
import { expectedMetric, finalAnswerDistribution, type Outcomes } from '../../engine/sim/expected.ts';
import { featureVector } from '../../engine/sim/features.ts';
import { generateArithmeticTasks, generateIeTasks } from '../../engine/sim/generate.ts';
import { M, MOVE_COUNT, SKILL_COUNT } from '../../engine/sim/moves.ts';
import { contents } from '../../engine/sim/outcomes.ts';
import { cloneParams, defaultParams, skillOf, type SimParams } from '../../engine/sim/params.ts';
import { policyInput } from '../../engine/sim/policy.ts';
import { renderUtterance } from '../../engine/sim/render.ts';
import { finish } from '../../engine/sim/sample.ts';
import { analyseUtterance, dialogueState } from '../../engine/sim/state.ts';
import { phrasings } from '../../engine/sim/templates.ts';
import { countTokens } from '../../engine/sim/tokcount.ts';
import { createSimWorld, type SimWorld } from '../../engine/sim/world.ts';
import { extractAnswer } from '../../scenarios/answers.ts';
import { scoreAnswer } from '../../scenarios/metrics/index.ts';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';

const T = 0.7;
const PROMPT_SEED = 3;
const hotpot = resolveScenario('hotpotqa').scenario;
const gsm8k = resolveScenario('gsm8k').scenario;
const ieTasks = generateIeTasks(51, 30);
const arithTasks = generateArithmeticTasks(51, 30);
const families: Array<{ name: string; scenario: Scenario; tasks: Task[]; world: SimWorld }> = [
  { name: 'hotpotqa', scenario: hotpot, tasks: ieTasks, world: createSimWorld(hotpot, ieTasks) },
  { name: 'gsm8k', scenario: gsm8k, tasks: arithTasks, world: createSimWorld(gsm8k, arithTasks) },
];

const withTurns = (s: Scenario, turns: Partial<Scenario['turns']>): Scenario => ({ ...s, turns: { ...s.turns, ...turns } });

/** Parameters away from the base, as after a few training steps: every weight and skill moved. */
function perturbed(seed: number): SimParams {
  const rng = Rng.keyed('expected-test', seed);
  const base = defaultParams();
  const weights = Float64Array.from(base.weights, (w) => w + (rng.next() - 0.5));
  const skills = Float64Array.from({ length: SKILL_COUNT }, () => 2.5 * rng.next() - 1);
  return cloneParams(base, weights, skills);
}

/** Final answers of n sampled dialogues, on the engine's own loop and the sim backend. */
async function sampleFinals(world: SimWorld, params: SimParams, setup: DialogueSetup, n: number): Promise<Map<string, number>> {
  const backend = new SimBackend(world, params);
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const d = await runDialogue(setup, backend, { seedKey: ['mc', setup.task.id, i], temperature: T, mode: 'generate' });
    counts.set(d.finalAnswer, (counts.get(d.finalAnswer) ?? 0) + 1);
  }
  return counts;
}

/**
 * Pearson's X² of sampled counts against the enumerated distribution, and its degrees of
 * freedom: answers expected fewer than 5 times (and any the enumeration did not reach) share
 * one cell, as the χ² approximation needs.
 */
function chiSquare(q: Outcomes, counts: Map<string, number>, n: number): { x2: number; df: number } {
  const cells: Array<{ e: number; o: number }> = [];
  const rare = { e: 0, o: 0 };
  let mass = 0;
  for (const [answer, p] of q) {
    mass += p;
    const cell = { e: n * p, o: counts.get(answer) ?? 0 };
    if (cell.e >= 5) cells.push(cell);
    else {
      rare.e += cell.e;
      rare.o += cell.o;
    }
  }
  for (const [answer, c] of counts) if (!q.has(answer)) rare.o += c;
  rare.e += n * Math.max(0, 1 - mass);
  if (rare.e > 0 || rare.o > 0) cells.push({ e: Math.max(rare.e, 1e-9), o: rare.o });
  return { x2: cells.reduce((s, c) => s + (c.o - c.e) ** 2 / c.e, 0), df: cells.length - 1 };
}

/** The texts of every phrasing of every (legal move, content) in the state before `history`'s next turn. */
function phrasingGroups(world: SimWorld, setup: DialogueSetup, history: Utterance[], speakerIndex: number, params: SimParams): string[][] {
  const speaker = (setup.scenario.agents[speakerIndex] as { name: string }).name;
  const s = dialogueState(world, agentMessages(setup.systemPrompts[speakerIndex] as string, history), speaker);
  const { mask } = policyInput(s);
  const groups: string[][] = [];
  for (let m = 0; m < MOVE_COUNT; m++) {
    if (!mask[m]) continue;
    for (const c of contents(s, m, skillOf(params, m))) {
      if (!(c.p > 0)) continue;
      groups.push(phrasings(world.family, m).map((_, ph) => renderUtterance(s, m, c, ph)));
    }
  }
  return groups;
}

describe('expected metric by enumeration', () => {
  for (const { name, scenario, tasks, world } of families) {
    it(`${name}: agrees with Monte Carlo over seeded dialogues (final-answer distribution and metric)`, async () => {
      const N = 1500;
      let x2 = 0;
      let df = 0;
      let mcSum = 0;
      let exactSum = 0;
      let slack = 0;
      let varSum = 0;
      const cases: Array<[Task, SimParams]> = [
        ...tasks.slice(0, 6).map((t) => [t, defaultParams()] as [Task, SimParams]),
        ...tasks.slice(6, 10).map((t, i) => [t, perturbed(i)] as [Task, SimParams]),
      ];
      for (const [task, params] of cases) {
        const setup = prepareDialogue(scenario, task, PROMPT_SEED);
        const { outcomes } = await finalAnswerDistribution(world, params, setup, { temperature: T, prune: 1e-9 });
        const counts = await sampleFinals(world, params, setup, N);
        const c = chiSquare(outcomes, counts, N);
        x2 += c.x2;
        df += c.df;
        const e = await expectedMetric(world, params, setup, { temperature: T, prune: 1e-9 });
        let mc = 0;
        for (const [answer, k] of counts) if (answer !== LARGE) mc += (k * (await scoreAnswer(scenario.metric, answer, task.answers))) / N;
        mcSum += mc;
        exactSum += e.metric;
        slack += 1 - e.mass;
        // A score in [0, 1] with mean μ has variance at most μ(1 − μ).
        varSum += Math.max(e.metric * (1 - e.metric), 0.01) / N;
      }
      // χ² with df degrees of freedom: mean df, sd √(2df); 6 sd is far in the tail for a correct enumeration.
      expect(df).toBeGreaterThan(10);
      expect(x2).toBeLessThan(df + 6 * Math.sqrt(2 * df));
      const k = cases.length;
      expect(Math.abs(mcSum / k - exactSum / k)).toBeLessThan((5 * Math.sqrt(varSum)) / k + slack / k);
    }, 180_000);
  }

  it('agrees with Monte Carlo when replies overflow maxTokens, where the phrasing decides (LARGE)', async () => {
    for (const { scenario, tasks, world } of families) {
      // A limit between the shortest and the longest phrasing of the opening's longest reply.
      const task = tasks[1] as Task;
      const open = phrasingGroups(world, prepareDialogue(scenario, task, PROMPT_SEED), [], 0, defaultParams());
      const longest = open.reduce((a, b) => (Math.max(...b.map(countTokens)) > Math.max(...a.map(countTokens)) ? b : a));
      const counts = longest.map(countTokens);
      const limit = Math.max(...counts);
      expect(Math.min(...counts)).toBeLessThan(limit);
      const small = withTurns(scenario, { maxTokens: limit });
      const setup = prepareDialogue(small, task, PROMPT_SEED);
      // The phrasings of that reply do not all overflow: the enumeration has to split them.
      const verdicts = longest.map((text) => applyReply(setup, [], 'Alice', finish(text, limit), countTokens, 'generate').done?.termination === 'overflow');
      expect(new Set(verdicts).size).toBe(2);
      const { outcomes } = await finalAnswerDistribution(world, defaultParams(), setup, { temperature: T, prune: 1e-9 });
      const large = outcomes.get(LARGE) ?? 0;
      expect(large).toBeGreaterThan(0.01);
      const N = 3000;
      const sampled = await sampleFinals(world, defaultParams(), setup, N);
      const c = chiSquare(outcomes, sampled, N);
      expect(c.x2).toBeLessThan(c.df + 6 * Math.sqrt(2 * Math.max(c.df, 1)) + 10);
      expect(Math.abs((sampled.get(LARGE) ?? 0) / N - large)).toBeLessThan(5 * Math.sqrt((large * (1 - large)) / N));
    }
  }, 120_000);

  it('encloses the exact value: mass is 1 with prune 0 (short dialogues), and a pruned result bounds a finer one', async () => {
    for (const { scenario, tasks, world } of families) {
      for (const cap of [3, 5]) {
        const short = withTurns(scenario, { maxUtterances: cap });
        for (const [i, task] of tasks.slice(0, 4).entries()) {
          for (const params of [defaultParams(), perturbed(10 + i)]) {
            const setup = prepareDialogue(short, task, PROMPT_SEED);
            const e = await expectedMetric(world, params, setup, { temperature: T, prune: 0 });
            expect(Math.abs(e.mass - 1)).toBeLessThan(1e-9);
            expect(e.metric).toBeGreaterThanOrEqual(0);
            expect(e.metric).toBeLessThanOrEqual(1 + 1e-9);
          }
        }
      }
      for (const task of tasks.slice(0, 5)) {
        const setup = prepareDialogue(scenario, task, PROMPT_SEED);
        const coarse = await expectedMetric(world, defaultParams(), setup, { temperature: T, prune: 1e-4 });
        const fine = await expectedMetric(world, defaultParams(), setup, { temperature: T, prune: 1e-9 });
        expect(coarse.mass).toBeLessThanOrEqual(fine.mass + 1e-12);
        expect(fine.metric).toBeGreaterThanOrEqual(coarse.metric - 1e-12);
        expect(fine.metric).toBeLessThanOrEqual(coarse.metric + (1 - coarse.mass) + 1e-12);
      }
    }
  }, 120_000);

  it('merges only histories that leave every agent in the same state', async () => {
    for (const { scenario, tasks, world } of families) {
      // Every path against merged states, exhaustively, on short dialogues.
      const short = withTurns(scenario, { maxUtterances: 4 });
      for (const [i, task] of tasks.slice(0, 3).entries()) {
        for (const params of [defaultParams(), perturbed(20 + i)]) {
          const setup = prepareDialogue(short, task, PROMPT_SEED);
          const merged = await finalAnswerDistribution(world, params, setup, { temperature: T, prune: 0 });
          const paths = await finalAnswerDistribution(world, params, setup, { temperature: T, prune: 0, merge: false });
          expect(merged.nodes).toBeLessThan(paths.nodes);
          expect([...merged.outcomes.keys()].sort()).toEqual([...paths.outcomes.keys()].sort());
          for (const [answer, p] of paths.outcomes) expect(Math.abs((merged.outcomes.get(answer) ?? 0) - p)).toBeLessThan(1e-12);
        }
      }
      // Full-length dialogues: each merge is checked against the agents' DialogueStates.
      for (const [i, task] of tasks.slice(0, 3).entries()) {
        for (const params of [defaultParams(), perturbed(30 + i)]) {
          await finalAnswerDistribution(world, params, prepareDialogue(scenario, task, PROMPT_SEED), { temperature: T, prune: 1e-5, check: true });
        }
      }
    }
  }, 120_000);

  it('collapses phrasings soundly: every phrasing of a (move, content) leaves the same next states and parsed answer', async () => {
    for (const { scenario, tasks, world } of families) {
      let groups = 0;
      for (const [i, task] of tasks.slice(0, 6).entries()) {
        const params = i % 2 === 0 ? defaultParams() : perturbed(40 + i);
        const setup = prepareDialogue(scenario, task, PROMPT_SEED);
        // States along sampled dialogues, so that challenges, hints, shares and answers are behind them.
        const d = await runDialogue(setup, new SimBackend(world, params), { seedKey: ['phrasing', i], temperature: 1, mode: 'generate' });
        for (let t = 0; t < d.utterances.length; t++) {
          const history = d.utterances.slice(0, t);
          const speakerIndex = scenario.agents.findIndex((a) => a.name === (d.utterances[t] as Utterance).speaker);
          for (const texts of phrasingGroups(world, setup, history, speakerIndex, params)) {
            groups++;
            const speaker = (scenario.agents[speakerIndex] as { name: string }).name;
            const readings = texts.map((text) => {
              const step = applyReply(setup, history, speaker, finish(text, scenario.turns.maxTokens), countTokens, 'generate');
              const info = analyseUtterance(world, world.view(setup.systemPrompts[0] as string), text);
              const next = scenario.agents.map((a, k) => {
                const s = dialogueState(world, agentMessages(setup.systemPrompts[k] as string, step.utterances), a.name);
                const { mask } = policyInput(s);
                return { phi: Array.from(featureVector(s)), mask: Array.from(mask) };
              });
              return {
                answer: extractAnswer(text, scenario.answer.format),
                done: step.done ? [step.done.termination, step.done.finalAnswer] : null,
                facts: info.facts,
                readMoves: info.moves & ((1 << M.ASK) | (1 << M.CHALLENGE) | (1 << M.HINT)),
                next,
              };
            });
            for (const r of readings.slice(1)) expect(r).toEqual(readings[0]);
          }
        }
      }
      expect(groups).toBeGreaterThan(50);
    }
  }, 60_000);

  it('is deterministic: the same inputs give the same result, in a fresh world too', async () => {
    for (const { scenario, tasks, world } of families) {
      for (const [i, task] of tasks.slice(0, 3).entries()) {
        const params = perturbed(50 + i);
        const setup = prepareDialogue(scenario, task, PROMPT_SEED);
        const a = await expectedMetric(world, params, setup, { temperature: T });
        const b = await expectedMetric(world, params, setup, { temperature: T });
        const c = await expectedMetric(createSimWorld(scenario, tasks), params, setup, { temperature: T });
        expect(b).toEqual(a);
        expect(c).toEqual(a);
        expect(a.mass).toBeGreaterThan(0.99);
      }
    }
  }, 60_000);

  it('at temperature 0 is the greedy dialogue score, with mass 1', async () => {
    for (const { scenario, tasks, world } of families) {
      const task = tasks[0] as Task;
      const setup = prepareDialogue(scenario, task, PROMPT_SEED);
      const d = await runDialogue(setup, new SimBackend(world), { seedKey: [1], temperature: 0, mode: 'generate' });
      const e = await expectedMetric(world, defaultParams(), setup, { temperature: 0 });
      expect(e.mass).toBe(1);
      expect(e.metric).toBe(await scoreAnswer(scenario.metric, d.finalAnswer, task.answers));
    }
  });
});
