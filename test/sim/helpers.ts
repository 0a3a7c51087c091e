/** Shared set-up for the simulated model's tests: prompts as the engine renders them, and whole dialogues. */
import { prepareDialogue, runDialogue, type Dialogue } from '../../engine/dialogue/dialogue.ts';
import { SimBackend } from '../../engine/sim/backend.ts';
import type { SimParams } from '../../engine/sim/params.ts';
import type { SimWorld } from '../../engine/sim/world.ts';
import type { KeyPart } from '../../engine/base/rng.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';

/** Every agent's system prompt for `task` (context dealt with run seed `seed`), by agent name. */
export function agentPrompts(scenario: Scenario, task: Task, seed: number): Map<string, string> {
  const { systemPrompts } = prepareDialogue(scenario, task, seed);
  return new Map(scenario.agents.map((a, i) => [a.name, systemPrompts[i] as string]));
}

/** One dialogue on the engine's own loop, with the given parameters. */
export function playDialogue(
  world: SimWorld,
  params: SimParams,
  scenario: Scenario,
  task: Task,
  opts: { promptSeed: number; temperature: number; seedKey: readonly KeyPart[] },
): Promise<Dialogue> {
  return runDialogue(prepareDialogue(scenario, task, opts.promptSeed), new SimBackend(world, params), {
    seedKey: opts.seedKey,
    temperature: opts.temperature,
    mode: 'generate',
  });
}
