/** Influence probes in worker threads (Piscina): each probe runs whole in one thread; the main thread charges their sampling to its meter. */
import type { Meter } from '../engine/base/budget.ts';
import type { WorkerProbeSpec } from '../engine/influence/probe-spec.ts';
import type { PreferenceExample } from '../engine/base/trainer.ts';
import type { ProbeOutcome } from './probe-runner.ts';
import { bundledPool } from './bundled-pool.ts';

export interface WorkerProber {
  /** F_g of the group `pairs`. */
  probe(pairs: readonly PreferenceExample[]): Promise<number>;
  close(): Promise<void>;
  /** Worker threads started so far. */
  started(): number;
}

export function workerProber(spec: WorkerProbeSpec, threads: number, meter: Meter): WorkerProber {
  // Several probes per worker, so the next is queued there when one ends (see search-pool.ts).
  const { pool, destroy, started } = bundledPool('probe-worker', { workerData: spec, threads, tasksPerWorker: 4 });
  return {
    async probe(pairs) {
      const o = (await (await pool).run([...pairs])) as ProbeOutcome;
      meter.charge(o.spent);
      return o.metric;
    },
    close: destroy,
    started,
  };
}
