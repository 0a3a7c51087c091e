/**
 * A worker thread of a run's one pool (run-pool.ts): it serves every stage of the run, so its
 * modules and the tokenizer tables load once per run, not once per stage. A job names its spec
 * by the file the pool wrote it to; the runner built from a spec is kept for the jobs after it.
 */
import { readFileSync } from 'node:fs';
import { Piscina } from 'piscina';
import type { WorkerSearchSpec } from '../engine/search/worker-spec.ts';
import type { WorkerProbeSpec } from '../engine/influence/probe-spec.ts';
import type { PreferenceExample } from '../engine/base/trainer.ts';
import { searchRunner, type SearchJob } from './search-runner.ts';
import { probeRunner, type ProbeOutcome } from './probe-runner.ts';
import { unpack } from './spec-codec.ts';
import { crossable } from './input-errors.ts';

export type PoolJob = { kind: 'search'; spec: string; job: SearchJob } | { kind: 'probe'; spec: string; pairs: PreferenceExample[] };

/** Runners of the last few specs: a run's stages come one after another. */
const KEPT_SPECS = 4;
const searchers = new Map<string, (job: SearchJob) => Promise<Uint8Array>>();
const probers = new Map<string, (pairs: PreferenceExample[]) => Promise<ProbeOutcome>>();

function kept<R>(runners: Map<string, R>, file: string, make: (spec: never) => R): R {
  let runner = runners.get(file);
  if (!runner) {
    runner = make(unpack<never>(readFileSync(file)));
    runners.set(file, runner);
    for (const old of runners.keys()) if (runners.size > KEPT_SPECS) runners.delete(old);
  }
  return runner;
}

export default async function run(job: PoolJob): Promise<unknown> {
  try {
    if (job.kind === 'probe') return await kept(probers, job.spec, (s: WorkerProbeSpec) => probeRunner(s))(job.pairs);
    const packed = await kept(searchers, job.spec, (s: WorkerSearchSpec) => searchRunner(s))(job.job);
    // The packer reuses its buffer: move a copy of just these bytes.
    const bytes = new Uint8Array(packed.length);
    bytes.set(packed);
    return Piscina.move(bytes);
  } catch (e) {
    throw crossable(e);
  }
}
