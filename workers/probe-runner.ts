/**
 * An influence probe (§3.2 steps 3-4), the way every worker runs it (a probe worker thread or a
 * queue worker): one optimizer step from the warm state on a group's pairs, then the greedy
 * validation dialogues; returns F_g and the sampling it did (the main thread charges it to the
 * influence meter). A probe is a pure function of (warm state, group), so it gives the same F_g
 * anywhere.
 */
import { Meter, type MeterReading } from '../engine/base/budget.ts';
import { probeMetric } from '../engine/influence/probe.ts';
import type { WorkerProbeSpec } from '../engine/influence/probe-spec.ts';
import { parseParams } from '../engine/sim/params.ts';
import { SimTrainer } from '../engine/sim/sim-trainer.ts';
import { createSimWorld } from '../engine/sim/world.ts';
import type { PreferenceExample } from '../engine/base/trainer.ts';

export interface ProbeOutcome {
  metric: number;
  spent: MeterReading;
}

/** Probes groups of one spec; the model's task index and the two states are built once. */
export function probeRunner(spec: WorkerProbeSpec): (pairs: PreferenceExample[]) => Promise<ProbeOutcome> {
  const trainer = new SimTrainer(createSimWorld(spec.scenario, spec.worldTasks));
  const warm = parseParams(spec.warm);
  const ref = parseParams(spec.ref);
  const validation = { scenario: spec.scenario, tasks: spec.validation.tasks, seed: spec.validation.seed };
  return async (pairs) => {
    const meter = new Meter();
    const metric = await probeMetric(trainer, { from: warm, ref }, pairs, { step: spec.step, validation, meter });
    return { metric, spent: meter.reading() };
  };
}
