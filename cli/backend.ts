/** The model backends a command can run on. */
import { InputError } from '../scenarios/errors.ts';
import type { Scenario } from '../scenarios/schema.ts';
import type { Task } from '../scenarios/task.ts';
import type { ModelBackend } from '../engine/model.ts';
import { SimBackend } from '../engine/sim/backend.ts';
import { createSimWorld } from '../engine/sim/world.ts';

export const BACKENDS = ['sim'] as const;

export interface BackendHandle {
  backend: ModelBackend;
  /** Called with each batch of tasks before their dialogues start. */
  prepare: (tasks: readonly Task[]) => void;
}

export function createBackend(name: string, scenario: Scenario): BackendHandle {
  if (name === 'sim') {
    // The simulated model looks tasks up by question text: it learns each batch as it streams in.
    const world = createSimWorld(scenario, []);
    return { backend: new SimBackend(world), prepare: (tasks) => world.addTasks(tasks) };
  }
  throw new InputError(`unknown backend '${name}': available backends are ${BACKENDS.join(', ')}`);
}
