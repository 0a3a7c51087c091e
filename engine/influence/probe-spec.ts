/** What a probe worker is started with: plain data, cloned into each thread. */
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';
import type { SerializedParams } from '../sim/params.ts';
import type { ProbeStepOptions } from '../base/trainer.ts';

export interface WorkerProbeSpec {
  scenario: Scenario;
  /** Every task the main thread's simulated model knows, in its order (the run's task pool). */
  worldTasks: Task[];
  /** θ*: the warm-started state every probe starts from, and the frozen DPO reference. */
  warm: SerializedParams;
  ref: SerializedParams;
  step: ProbeStepOptions;
  /** The validation tasks and seed (§3.2 step 4). */
  validation: { tasks: Task[]; seed: number };
}
