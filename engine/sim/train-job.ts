/**
 * A training job (engine/hook/training-job.ts) run on the simulated model: the adapter folders hold
 * `params.json`, the simulated model's saved parameters. `dits sim-train` and serve-sim's
 * `/sim/train` both come here, so a job gives the same parameters whichever way it arrives.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../storage/files.ts';
import { readJobData, type TrainingJob } from '../hook/training-job.ts';
import { InputError } from '../../scenarios/errors.ts';
import { defaultParams, parseParams, serializeParams, type SimParams } from './params.ts';
import { SimTrainer } from './sim-trainer.ts';
import type { SimWorld } from './world.ts';

/** The file a simulated-model adapter folder holds. */
export const SIM_ADAPTER_FILE = 'params.json';

/** The parameters in a simulated-model adapter folder. */
export function readSimAdapter(dir: string): SimParams {
  const file = join(dir, SIM_ADAPTER_FILE);
  if (!existsSync(file)) throw new InputError(`${dir}: not a simulated-model adapter (no ${SIM_ADAPTER_FILE})`);
  try {
    return parseParams(JSON.parse(readFileSync(file, 'utf8')));
  } catch (e) {
    throw new InputError(`${file}: ${(e as Error).message}`);
  }
}

export function writeSimAdapter(dir: string, params: SimParams): void {
  writeJsonAtomic(join(dir, SIM_ADAPTER_FILE), serializeParams(params));
}

/** Runs `job` and writes the trained adapter to `job.output`. */
export async function runSimTrainingJob(world: SimWorld, job: TrainingJob): Promise<void> {
  const trainer = new SimTrainer(world);
  const start = job.start === null ? defaultParams() : readSimAdapter(job.start);
  const { sft, pairs } = readJobData(job);
  const s = job.settings;
  let out: SimParams;
  if (s.kind === 'sft') {
    out = await trainer.sft(start, sft, { lr: s.lr, epochs: s.epochs });
  } else {
    const ref = job.ref === null ? defaultParams() : readSimAdapter(job.ref);
    out =
      s.kind === 'dpo'
        ? await trainer.dpo(start, pairs, { steps: s.steps, batchSize: s.batchSize, lr: s.lr, scheduler: s.scheduler, warmupRatio: s.warmupRatio, beta: s.beta, seed: s.seed })
        : await trainer.probeStep(start, ref, pairs, { optimizer: s.optimizer, lr: s.lr, beta: s.beta });
  }
  writeSimAdapter(job.output, out);
}
