/** A search worker thread: the pool's spec, one runner (search-runner.ts), outputs moved, not copied, to the main thread. */
import { Piscina } from 'piscina';
import { workerData } from 'node:worker_threads';
import type { WorkerSearchSpec } from '../engine/search/worker-spec.ts';
import { searchRunner, type SearchJob } from './search-runner.ts';
import { crossable } from './input-errors.ts';

const run = searchRunner(workerData as WorkerSearchSpec);

export default async function search(job: SearchJob): Promise<unknown> {
  try {
    const packed = await run(job);
    // The packer reuses its buffer: move a copy of just these bytes.
    const bytes = new Uint8Array(packed.length);
    bytes.set(packed);
    return Piscina.move(bytes);
  } catch (e) {
    throw crossable(e);
  }
}
