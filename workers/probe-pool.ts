/** Influence probes in worker threads (Piscina): each probe runs whole in one thread; the main thread charges their sampling to its meter. */
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Meter } from '../engine/budget.ts';
import type { WorkerProbeSpec } from '../engine/influence/probe-spec.ts';
import type { PreferenceExample } from '../engine/trainer.ts';
import type { ProbeOutcome } from './probe-worker.ts';

const BOOT = fileURLToPath(new URL('./boot.mjs', import.meta.url));

export interface WorkerProber {
  /** F_g of the group `pairs`. */
  probe(pairs: readonly PreferenceExample[]): Promise<number>;
  close(): Promise<void>;
}

export function workerProber(spec: WorkerProbeSpec, threads: number, meter: Meter): WorkerProber {
  const pool = new Piscina({ filename: BOOT, name: 'probe', workerData: spec, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
  return {
    async probe(pairs) {
      const o = (await pool.run([...pairs])) as ProbeOutcome;
      meter.calls += o.calls;
      meter.tokens += o.tokens;
      return o.metric;
    },
    close: () => pool.destroy(),
  };
}
