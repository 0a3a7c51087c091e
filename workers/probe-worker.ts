/** A probe worker thread: the pool's spec, one runner (probe-runner.ts). */
import { workerData } from 'node:worker_threads';
import type { WorkerProbeSpec } from '../engine/influence/probe-spec.ts';
import { probeRunner } from './probe-runner.ts';

export default probeRunner(workerData as WorkerProbeSpec);
