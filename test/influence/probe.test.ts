import { beforeAll, describe, expect, it } from 'vitest';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import type { Task } from '../../scenarios/task.ts';
import { probeGroups } from '../../engine/influence/groups.ts';
import { runProbes, validationMetric, type ProbeOptions } from '../../engine/influence/probe.ts';
import { generateIeTasks } from '../../engine/sim/generate.ts';
import { defaultParams, type SimParams } from '../../engine/sim/params.ts';
import { SimTrainer } from '../../engine/sim/sim-trainer.ts';
import { createSimWorld } from '../../engine/sim/world.ts';
import type { PreferenceExample } from '../../engine/base/trainer.ts';
import { searchPairs } from './fixture.ts';

const scenario = resolveScenario('hotpotqa').scenario;
const searchSet = generateIeTasks(21, 16);
const validationTasks: Task[] = generateIeTasks(22, 20);
const world = createSimWorld(scenario, [...searchSet, ...validationTasks]);
const trainer = new SimTrainer(world);
const sft: SimParams = defaultParams();
const validation = { scenario, tasks: validationTasks, seed: 5 };
let pairs: PreferenceExample[] = [];
let warm: SimParams;

beforeAll(async () => {
  pairs = await searchPairs(scenario, world, sft, searchSet);
  warm = await trainer.dpo(sft, pairs, { steps: 10, batchSize: 8, lr: 0.05, scheduler: 'constant', warmupRatio: 0, beta: 0.5, seed: 1 });
});

const options = (groups: ReturnType<typeof probeGroups>): ProbeOptions<SimParams> => ({
  trainer,
  warm,
  ref: sft,
  pairs,
  groups,
  step: { optimizer: 'adamw', lr: 0.2, beta: 0.5 },
  validation,
});

describe('influence probes (§3.2)', () => {
  it('has pairs to probe, and a warm start that moved away from the SFT model', () => {
    expect(pairs.length).toBeGreaterThan(10);
    expect(Array.from(warm.weights)).not.toEqual(Array.from(sft.weights));
  });

  it('are deterministic and independent of the order the probes run in', async () => {
    const groups = probeGroups(pairs.length, { size: 5, seed: 42 });
    const a = await runProbes(options(groups));
    const b = await runProbes(options(groups));
    const reversed = await runProbes(options([...groups].reverse()));
    expect(b).toEqual(a);
    const byId = (r: typeof a) => Object.fromEntries(r.groups.map((g) => [g.id, g.metric]));
    expect(byId(reversed)).toEqual(byId(a));
    expect(reversed.pairInfluence).toEqual(a.pairInfluence);
  });

  it('measure each group as F_g - F(warm) and normalise to [0, 1], with g = 5 and g = 1', async () => {
    for (const size of [5, 1]) {
      const groups = probeGroups(pairs.length, { size, seed: 42 });
      const r = await runProbes(options(groups));
      expect(r.groups).toHaveLength(Math.ceil(pairs.length / size));
      expect(r.baseline).toBe(await validationMetric(trainer.backendFor(warm), validation));
      for (const g of r.groups) {
        expect(g.influence).toBeCloseTo(g.metric - r.baseline, 12);
        expect(g.normalized).toBeGreaterThanOrEqual(0);
        expect(g.normalized).toBeLessThanOrEqual(1);
        for (const m of g.members) expect(r.pairInfluence[m]).toBe(g.normalized);
      }
      // A probe step changes the model: not every group can leave the validation metric where it was.
      expect(new Set(r.groups.map((g) => g.metric)).size).toBeGreaterThan(1);
    }
  });

  it('take exactly one optimizer step from the warm state', async () => {
    const group = pairs.slice(0, 5);
    const once = await trainer.probeStep(warm, sft, group, { optimizer: 'sgd', lr: 0.1, beta: 0.5 });
    const again = await trainer.probeStep(warm, sft, group, { optimizer: 'sgd', lr: 0.1, beta: 0.5 });
    expect(Array.from(again.weights)).toEqual(Array.from(once.weights));
    const twice = await trainer.probeStep(once, sft, group, { optimizer: 'sgd', lr: 0.1, beta: 0.5 });
    expect(Array.from(twice.weights)).not.toEqual(Array.from(once.weights));
  });
});
