/** What a search worker is started with: plain data, cloned into each thread. */
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';
import type { PolicyParams } from './policy.ts';
import type { SerializedParams } from '../sim/params.ts';
import type { ProbeStepOptions } from '../base/trainer.ts';

export interface WorkerSearchSpec {
  scenario: Scenario;
  /** A built-in policy name or an absolute path to a policy module, and its parameters. */
  policy: { source: string; params: PolicyParams };
  seed: number;
  /** The simulated model's parameters to sample from; the base model when absent. */
  model?: SerializedParams;
  /**
   * Every task the main thread's simulated model knows, in its order (a run's whole task pool):
   * the workers' model then resolves prompts exactly as the main thread's does. Without it,
   * each job brings its task and the earlier tasks that share its question.
   */
  worldTasks?: Task[];
  /**
   * Influence probes during the search, for a policy that asks for them (dits in a run): one
   * probe step from `model` on a group's pairs, then the greedy metric on the validation tasks.
   */
  probe?: { step: ProbeStepOptions; validation: { tasks: Task[]; seed: number } };
}
