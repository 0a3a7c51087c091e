/**
 * A probe worker (§3.2 steps 3-4): one optimizer step from the warm state on a group's pairs,
 * then the greedy validation dialogues; returns F_g and the sampling it did (the main thread
 * charges it to the influence meter). A probe is a pure function of (warm state, group), so it
 * gives the same F_g in any thread.
 */
import { workerData } from 'node:worker_threads';
import { Meter, type MeterReading } from '../engine/base/budget.ts';
import { probeMetric } from '../engine/influence/probe.ts';
import type { WorkerProbeSpec } from '../engine/influence/probe-spec.ts';
import { parseParams } from '../engine/sim/params.ts';
import { SimTrainer } from '../engine/sim/sim-trainer.ts';
import { createSimWorld } from '../engine/sim/world.ts';
import type { PreferenceExample } from '../engine/base/trainer.ts';

const spec = workerData as WorkerProbeSpec;
const world = createSimWorld(spec.scenario, spec.worldTasks);
const trainer = new SimTrainer(world);
const warm = parseParams(spec.warm);
const ref = parseParams(spec.ref);
const validation = { scenario: spec.scenario, tasks: spec.validation.tasks, seed: spec.validation.seed };

export interface ProbeOutcome {
  metric: number;
  spent: MeterReading;
}

export default async function probe(pairs: PreferenceExample[]): Promise<ProbeOutcome> {
  const meter = new Meter();
  const metric = await probeMetric(trainer, { from: warm, ref }, pairs, { step: spec.step, validation, meter });
  return { metric, spent: meter.reading() };
}
