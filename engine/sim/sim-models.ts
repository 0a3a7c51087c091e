/** The simulated model's run models: parameter states in process, kept as `<stem>.params.json`. */
import { readFileSync } from 'node:fs';
import { writeJsonAtomic } from '../storage/files.ts';
import type { RunModels } from '../base/run-models.ts';
import { defaultParams, parseParams, serializeParams, type SimParams } from './params.ts';
import { SimTrainer } from './sim-trainer.ts';
import type { SimWorld } from './world.ts';

export const paramsFile = (stem: string) => `${stem}.params.json`;

export function loadSimParams(stem: string): SimParams {
  return parseParams(JSON.parse(readFileSync(paramsFile(stem), 'utf8')));
}

export function simRunModels(world: SimWorld): RunModels<SimParams> {
  return {
    base: defaultParams(),
    trainer: new SimTrainer(world),
    save: (stem, p) => writeJsonAtomic(paramsFile(stem), serializeParams(p)),
    load: loadSimParams,
  };
}
