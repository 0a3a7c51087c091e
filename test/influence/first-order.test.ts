import { beforeAll, describe, expect, it } from 'vitest';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';
import { firstOrderInfluence, validationSurrogate, type ValidationSurrogate } from '../../engine/influence/first-order.ts';
import { probeGroups, type ProbeGroup } from '../../engine/influence/groups.ts';
import { validationMetric, type ValidationSet } from '../../engine/influence/probe.ts';
import { Rng } from '../../engine/base/rng.ts';
import { SimBackend } from '../../engine/sim/backend.ts';
import { generateArithmeticTasks, generateIeTasks } from '../../engine/sim/generate.ts';
import { logLikelihoodSync } from '../../engine/sim/likelihood.ts';
import { cloneParams, defaultParams, type SimParams } from '../../engine/sim/params.ts';
import { dpoGradient, dpoLoss, dpoStep, logLikelihoodGradient } from '../../engine/sim/train.ts';
import { SimTrainer } from '../../engine/sim/sim-trainer.ts';
import { createSimWorld, type SimWorld } from '../../engine/sim/world.ts';
import type { PreferenceExample } from '../../engine/base/trainer.ts';
import { searchPairs } from './fixture.ts';

/** `p` moved by h·dir (the flat layout: weights, skills, then wording). */
function shift(p: SimParams, dir: Float64Array, h: number): SimParams {
  const n = p.weights.length;
  const k = p.skills.length;
  return cloneParams(
    p,
    Float64Array.from(p.weights, (w, i) => w + h * (dir[i] as number)),
    Float64Array.from(p.skills, (s, j) => s + h * (dir[n + j] as number)),
    Float64Array.from(p.wording, (z, j) => z + h * (dir[n + k + j] as number)),
  );
}

/** ℓ_val through the likelihood module (likelihood.ts), independent of train.ts's gradient code. */
function surrogateValue(world: SimWorld, params: SimParams, s: ValidationSurrogate): number {
  return s.targets.reduce((sum, t, i) => sum + (s.weights[i] as number) * logLikelihoodSync(world, params, t.messages, t.text).logprob, 0);
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * (b[i] as number), 0);
const H = 1e-5;
/** Central difference of f along dir at h = H. */
const directional = (f: (p: SimParams) => number, p: SimParams, dir: Float64Array) => (f(shift(p, dir, H)) - f(shift(p, dir, -H))) / (2 * H);
const close = (a: number, b: number) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(1e-7 + 1e-5 * Math.abs(b));

interface Case {
  scenario: Scenario;
  world: SimWorld;
  sft: SimParams;
  warm: SimParams;
  pairs: PreferenceExample[];
  groups: ProbeGroup[];
  set: ValidationSet;
  surrogate: ValidationSurrogate;
}

async function makeCase(name: string, search: Task[], validation: Task[]): Promise<Case> {
  const scenario = resolveScenario(name).scenario;
  const world = createSimWorld(scenario, [...search, ...validation]);
  // Skills away from 0, so the checks exercise the tanh bound of the skill gradient.
  const sft = cloneParams(defaultParams(), undefined, Float64Array.from([0.4, -0.3, 0.8, -0.6, 1.1]));
  const pairs = await searchPairs(scenario, world, sft, search);
  // A pool in a fixed order of its own, independent of how the search lists pairs.
  pairs.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const trainer = new SimTrainer(world);
  const warm = await trainer.dpo(sft, pairs, { steps: 10, batchSize: 8, lr: 0.05, scheduler: 'constant', warmupRatio: 0, beta: 0.5, seed: 1 });
  const set = { scenario, tasks: validation, seed: 5 };
  const surrogate = await validationSurrogate(trainer.backendFor(warm), set);
  return { scenario, world, sft, warm, pairs, groups: probeGroups(pairs.length, { size: 5, seed: 42 }), set, surrogate };
}

const BETA = 0.5;
const cases: Record<string, Case> = {};

beforeAll(async () => {
  cases.ie = await makeCase('hotpotqa', generateIeTasks(21, 14), generateIeTasks(22, 16));
  cases.debate = await makeCase('gsm8k', generateArithmeticTasks(23, 14), generateArithmeticTasks(24, 16));
}, 60_000);

describe.each(['ie', 'debate'])('first-order influence (%s)', (name) => {
  const c = () => cases[name] as Case;

  it('has a non-trivial case: pairs, scoring validation dialogues, estimates of both signs', () => {
    const { pairs, surrogate, groups } = c();
    expect(pairs.length).toBeGreaterThan(10);
    expect(surrogate.scoring).toBeGreaterThan(0);
    expect(surrogate.scoring).toBeLessThan(surrogate.dialogues);
    const est = firstOrderInfluence(c().world, { warm: c().warm, ref: c().sft, pairs, groups, beta: BETA, surrogate });
    expect(est.some((x) => x > 0)).toBe(true);
    expect(est.some((x) => x < 0)).toBe(true);
  });

  it('dpoGradient is the gradient of dpoLoss (central differences along random directions) and what an SGD dpoStep descends', () => {
    const { world, warm, sft, pairs } = c();
    const batch = pairs.slice(0, 6);
    const g = dpoGradient(world, warm, sft, batch, BETA);
    expect(g.some((x) => x !== 0)).toBe(true);
    const rng = Rng.keyed(7, name);
    for (let k = 0; k < 4; k++) {
      const dir = Float64Array.from(g, () => rng.next() * 2 - 1);
      close(dot(g, dir), directional((p) => dpoLoss(world, p, sft, batch, BETA), warm, dir));
    }
    const stepped = dpoStep(world, warm, sft, batch, { beta: BETA, lr: 0.1, optimizer: 'sgd' }).params;
    expect(Array.from(stepped.weights)).toEqual(Array.from(shift(warm, g, -0.1).weights));
    expect(Array.from(stepped.skills)).toEqual(Array.from(shift(warm, g, -0.1).skills));
    expect(Array.from(stepped.wording)).toEqual(Array.from(shift(warm, g, -0.1).wording));
  });

  it('logLikelihoodGradient is the gradient of the weighted log-likelihood that likelihood.ts computes', () => {
    const { world, warm, surrogate } = c();
    const g = logLikelihoodGradient(world, warm, surrogate.targets, surrogate.weights);
    expect(g.some((x) => x !== 0)).toBe(true);
    const rng = Rng.keyed(8, name);
    for (let k = 0; k < 4; k++) {
      const dir = Float64Array.from(g, () => rng.next() * 2 - 1);
      close(dot(g, dir), directional((p) => surrogateValue(world, p, surrogate), warm, dir));
    }
    // Default weights: the mean.
    const mean = logLikelihoodGradient(world, warm, surrogate.targets);
    const ones = logLikelihoodGradient(world, warm, surrogate.targets, surrogate.targets.map(() => 1 / surrogate.targets.length));
    expect(Array.from(mean)).toEqual(Array.from(ones));
  });

  it('equals the finite-difference rate at which a small SGD step on the group raises ℓ_val', () => {
    const { world, warm, sft, pairs, groups, surrogate } = c();
    const est = firstOrderInfluence(world, { warm, ref: sft, pairs, groups, beta: BETA, surrogate });
    expect(est).toHaveLength(groups.length);
    for (const [i, g] of groups.entries()) {
      const descent = dpoGradient(world, warm, sft, g.members.map((m) => pairs[m] as PreferenceExample), BETA).map((x) => -x);
      close(est[i] as number, directional((p) => surrogateValue(world, p, surrogate), warm, descent));
    }
  });

  it('is linear: a group\'s estimate is the mean of its pairs\' (g = 1) estimates, and zero with no scoring dialogue', () => {
    const { world, warm, sft, pairs, groups, surrogate } = c();
    const opts = { warm, ref: sft, pairs, beta: BETA, surrogate };
    const perGroup = firstOrderInfluence(world, { ...opts, groups });
    const perPair = firstOrderInfluence(world, { ...opts, groups: pairs.map((_, i) => ({ id: i, members: [i] })) });
    groups.forEach((g, i) => close(perGroup[i] as number, g.members.reduce((s, m) => s + (perPair[m] as number), 0) / g.members.length));
    const none = { ...surrogate, targets: [], weights: [], scoring: 0 };
    expect(firstOrderInfluence(world, { ...opts, groups, surrogate: none }).every((x) => Object.is(x, 0))).toBe(true);
  });

  it('scores the validation dialogues as validationMetric does, weighting each utterance by its dialogue\'s score / V', async () => {
    const { set, warm, world, surrogate } = c();
    expect(surrogate.metric).toBeCloseTo(await validationMetric(new SimBackend(world, warm), set), 12);
    expect(surrogate.dialogues).toBe(set.tasks.length);
    expect(surrogate.weights).toHaveLength(surrogate.targets.length);
    for (const w of surrogate.weights) {
      expect(w).toBeGreaterThan(0);
      expect(w).toBeLessThanOrEqual(1 / set.tasks.length);
    }
    // Each target is its speaker's own utterance after its own system prompt.
    for (const t of surrogate.targets) {
      expect(t.text.startsWith(`${t.speaker}:`)).toBe(true);
      expect(t.messages[0]?.role).toBe('system');
    }
  });
});
