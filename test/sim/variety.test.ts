/**
 * Tasks that differ: the model must not see every task the same way, or a greedy dialogue is one
 * move sequence on every task, the test metric takes a few fixed values, and a handful of
 * validation tasks predicts the whole test set (which flatters influence).
 */
import { describe, expect, it } from 'vitest';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import { featureVector } from '../../engine/sim/features.ts';
import { generateArithmeticTasks, generateIeTasks } from '../../engine/sim/generate.ts';
import { MOVES } from '../../engine/sim/moves.ts';
import { defaultParams } from '../../engine/sim/params.ts';
import { dialogueState } from '../../engine/sim/state.ts';
import { createSimWorld } from '../../engine/sim/world.ts';
import { agentPrompts, playDialogue } from './helpers.ts';

const cases = [
  ['hotpotqa', generateIeTasks],
  ['gsm8k', generateArithmeticTasks],
] as const;

describe.each(cases)('%s on 200 generated tasks', (name, generate) => {
  const scenario = resolveScenario(name).scenario;
  const tasks = generate(21, 200);
  const world = createSimWorld(scenario, tasks);
  const first = scenario.agents[0]?.name as string;

  it('gives at least 50 distinct first-turn states (feature vectors)', () => {
    const states = new Set(
      tasks.map((t) => {
        const messages = [{ role: 'system' as const, content: agentPrompts(scenario, t, 1).get(first) as string }];
        return Array.from(featureVector(dialogueState(world, messages, first))).join(',');
      }),
    );
    expect(states.size).toBeGreaterThanOrEqual(50);
  });

  it('plays many distinct greedy move sequences, not one per task family', async () => {
    const sequences = new Set<string>();
    for (const t of tasks) {
      const d = await playDialogue(world, defaultParams(), scenario, t, { promptSeed: 1, temperature: 0, seedKey: ['variety', t.id] });
      sequences.add(d.utterances.map((u) => MOVES[world.recogniser.match(u.text)[0]?.template.move ?? -1] ?? 'other').join(' '));
    }
    expect(sequences.size).toBeGreaterThanOrEqual(name === 'hotpotqa' ? 20 : 5);
  });
});
