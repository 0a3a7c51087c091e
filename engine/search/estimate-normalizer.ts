/**
 * The search path's token normalizer M (§2.1): int(P80 of the token counts of 100 dialogues
 * sampled at T = 0.7 from the model being searched) + 1.
 */
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';
import { prepareDialogue, runDialogue } from '../dialogue/dialogue.ts';
import type { ModelBackend } from '../base/model-backend.ts';
import { tokenNormalizerP80 } from '../reward/reward.ts';

export const NORMALIZER_DIALOGUES = 100;
export const NORMALIZER_TEMPERATURE = 0.7;

/** Samples `count` dialogues over `tasks` (cycling when there are fewer) and returns M. */
export async function estimateNormalizer(
  scenario: Scenario,
  backend: ModelBackend,
  tasks: readonly Task[],
  seed: number,
  count = NORMALIZER_DIALOGUES,
): Promise<number> {
  if (tasks.length === 0) throw new RangeError('estimateNormalizer needs at least one task');
  const counts = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const task = tasks[i % tasks.length] as Task;
      const d = await runDialogue(prepareDialogue(scenario, task, seed), backend, {
        seedKey: [seed, 'normalizer', i],
        temperature: NORMALIZER_TEMPERATURE,
        mode: 'generate',
      });
      return d.tokenCount;
    }),
  );
  return tokenNormalizerP80(counts);
}
