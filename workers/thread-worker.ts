/**
 * A worker thread of the thread pool (thread-pool.ts): it serves every stage of a run, so its
 * modules and the tokenizer tables load once per command, not once per stage. A job names its
 * spec by the file the pool wrote it to; the runner built from a spec is kept for the jobs after it.
 */
import { readFileSync } from 'node:fs';
import { Piscina } from 'piscina';
import type { WorkerSearchSpec } from '../engine/search/worker-spec.ts';
import type { WorkerProbeSpec } from '../engine/influence/probe-spec.ts';
import type { PreferenceExample } from '../engine/base/trainer.ts';
import { searchRunner, type SearchJob } from './search-runner.ts';
import { probeRunner, type ProbeOutcome } from './probe-runner.ts';
import { RecentRunners } from './recent-runners.ts';
import { unpack } from './spec-codec.ts';
import { crossable } from './input-errors.ts';

export type PoolJob = { kind: 'search'; spec: string; job: SearchJob } | { kind: 'probe'; spec: string; pairs: PreferenceExample[] };

const searchers = new RecentRunners<(job: SearchJob) => Promise<Uint8Array>>();
const probers = new RecentRunners<(pairs: PreferenceExample[]) => Promise<ProbeOutcome>>();

const specIn = <S>(file: string): S => unpack<S>(readFileSync(file));

export default async function run(job: PoolJob): Promise<unknown> {
  try {
    if (job.kind === 'probe') return await probers.get(job.spec, () => probeRunner(specIn<WorkerProbeSpec>(job.spec)))(job.pairs);
    const packed = await searchers.get(job.spec, () => searchRunner(specIn<WorkerSearchSpec>(job.spec)))(job.job);
    // The packer reuses its buffer: move a copy of just these bytes.
    const bytes = new Uint8Array(packed.length);
    bytes.set(packed);
    return Piscina.move(bytes);
  } catch (e) {
    throw crossable(e);
  }
}
