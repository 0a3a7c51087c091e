/** The simulated model's trainer: native AdamW/SGD DPO steps on its parameters. */
import type { ModelBackend } from '../base/model-backend.ts';
import { Rng } from '../base/rng.ts';
import type { DpoOptions, PreferenceExample, ProbeStepOptions, SftOptions, SftTarget, Trainer } from '../base/trainer.ts';
import { SimBackend } from './backend.ts';
import type { SimParams } from './params.ts';
import { scheduleFactor } from './schedule.ts';
import { dpoStep, sftStep, type AdamState } from './train.ts';
import type { SimWorld } from './world.ts';

export class SimTrainer implements Trainer<SimParams> {
  constructor(private readonly world: SimWorld) {}

  async sft(start: SimParams, targets: readonly SftTarget[], opts: SftOptions): Promise<SimParams> {
    return sftStep(this.world, start, targets, opts);
  }

  async dpo(start: SimParams, pairs: readonly PreferenceExample[], opts: DpoOptions): Promise<SimParams> {
    if (pairs.length === 0) return start;
    // Batches walk a seeded permutation of the pool, reshuffled each pass, as a data loader would.
    let order: number[] = [];
    let params = start;
    let adamState: AdamState | undefined;
    for (let step = 0; step < opts.steps; step++) {
      const batch: PreferenceExample[] = [];
      while (batch.length < Math.min(opts.batchSize, pairs.length)) {
        if (order.length === 0) order = Rng.keyed(opts.seed, 'dpo-batches', step).shuffle(pairs.map((_, i) => i));
        batch.push(pairs[order.shift() as number] as PreferenceExample);
      }
      const lr = opts.lr * scheduleFactor(step, opts.steps, opts);
      const r = dpoStep(this.world, params, start, batch, { beta: opts.beta, lr, optimizer: 'adamw', ...(adamState ? { adamState } : {}) });
      params = r.params;
      adamState = r.adamState;
    }
    return params;
  }

  async probeStep(from: SimParams, ref: SimParams, pairs: readonly PreferenceExample[], opts: ProbeStepOptions): Promise<SimParams> {
    return dpoStep(this.world, from, ref, pairs, { beta: opts.beta, lr: opts.lr, optimizer: opts.optimizer }).params;
  }

  backendFor(handle: SimParams): ModelBackend {
    return new SimBackend(this.world, handle);
  }
}
