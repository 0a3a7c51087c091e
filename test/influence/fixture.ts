/** Shared set-up of the influence tests: a candidate pool of pairs from a real Optima search on the simulated model. */
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';
import { prepareDialogue } from '../../engine/dialogue/dialogue.ts';
import { optimaPolicy } from '../../engine/search/policies/optima.ts';
import { toPreferencePair, treePairs } from '../../engine/search/pairs.ts';
import { DialogueScorer } from '../../engine/dialogue/scoring.ts';
import { SimBackend } from '../../engine/sim/backend.ts';
import type { SimParams } from '../../engine/sim/params.ts';
import type { SimWorld } from '../../engine/sim/world.ts';
import type { PreferenceExample } from '../../engine/base/trainer.ts';
import { searchTasks } from '../../actors/coordinator-pool.ts';

/** The pairs of an Optima search over `tasks` with `params` (run seed 1, fixed normalizer), in task order. */
export async function searchPairs(scenario: Scenario, world: SimWorld, params: SimParams, tasks: readonly Task[]): Promise<PreferenceExample[]> {
  const backend = new SimBackend(world, params);
  const names = scenario.agents.map((a) => a.name);
  const pairs: PreferenceExample[] = [];
  await searchTasks(tasks, {
    scenario,
    backend,
    scorer: new DialogueScorer(scenario, backend),
    policy: optimaPolicy(),
    seed: 1,
    normalizer: 80,
    concurrency: 4,
    setupFor: (t) => prepareDialogue(scenario, t, 1),
    onResult: (r) => {
      const prompts = prepareDialogue(scenario, r.task, 1).systemPrompts;
      for (const tp of treePairs(r.tree, scenario.reward)) {
        const p = toPreferencePair(r.tree, tp, r.task.id, names, prompts);
        pairs.push({ messages: p.prompt, speaker: p.speaker, chosen: p.chosen, rejected: p.rejected });
      }
    },
  });
  return pairs;
}
