import { describe, expect, it } from 'vitest';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import { prepareDialogue } from '../../engine/dialogue/dialogue.ts';
import { DialogueScorer } from '../../engine/dialogue/scoring.ts';
import { ditsPolicy } from '../../engine/search/policies/dits.ts';
import { SimBackend } from '../../engine/sim/backend.ts';
import { generateIeTasks } from '../../engine/sim/generate.ts';
import { createSimWorld } from '../../engine/sim/world.ts';
import type { PreferenceExample } from '../../engine/base/trainer.ts';
import { searchTask } from '../../actors/search.ts';

const scenario = resolveScenario('hotpotqa').scenario;
const tasks = generateIeTasks(31, 4);
const backend = new SimBackend(createSimWorld(scenario, tasks));
const scorer = new DialogueScorer(scenario, backend);

function input(task: (typeof tasks)[number], probe?: (pairs: PreferenceExample[]) => Promise<number>) {
  return {
    task,
    setup: prepareDialogue(scenario, task, 1),
    scenario,
    backend,
    scorer,
    policy: ditsPolicy({ groupSize: 2, probeEvery: 2 }),
    seed: 1,
    normalizer: 80,
    ...(probe ? { probe } : {}),
  };
}

describe('influence during the search (the dits policy)', () => {
  it('probes new pairs in groups every few selections and writes their influence into the tree', async () => {
    const seen = new Set<string>();
    let calls = 0;
    // A stand-in probe: F_g from the group's text, so groups differ and the result is reproducible.
    const probe = async (pairs: PreferenceExample[]) => {
      calls++;
      for (const p of pairs) {
        const key = `${p.messages.length}|${p.chosen}|${p.rejected}`;
        expect(seen.has(key)).toBe(false); // never probed twice
        seen.add(key);
      }
      return pairs.reduce((s, p) => s + p.chosen.length, 0) % 7;
    };
    const results = await Promise.all(tasks.map((t) => searchTask(input(t, probe))));
    expect(calls).toBeGreaterThan(0);
    const probedNodes = results.flatMap((r) => Array.from(r.tree.influence.subarray(0, r.tree.size)).filter((x) => !Number.isNaN(x)));
    expect(probedNodes.length).toBeGreaterThan(0);
    for (const x of probedNodes) expect(x >= 0 && x <= 1).toBe(true);
    for (const r of results) expect(r.tree.visits[0]).toBe(24);
  });

  it('is deterministic, and without a probe the policy sees no influence', async () => {
    const probe = async (pairs: PreferenceExample[]) => pairs.length / 10;
    const a = await searchTask(input(tasks[0]!, probe));
    const b = await searchTask(input(tasks[0]!, probe));
    expect(b.selected).toEqual(a.selected);
    const none = await searchTask(input(tasks[0]!));
    expect(Array.from(none.tree.influence.subarray(0, none.tree.size)).every(Number.isNaN)).toBe(true);
  });

  it('fails the task, naming it, when a probe fails', async () => {
    // A task whose tree yields too few pairs never probes; every one that probes must fail, naming itself.
    let failed = 0;
    for (const t of tasks) {
      let probed = false;
      const outcome = await searchTask(
        input(t, async () => {
          probed = true;
          throw new Error('trainer down');
        }),
      ).then(
        () => null,
        (e: Error) => e,
      );
      if (!probed) continue;
      failed++;
      expect(outcome?.message).toMatch(new RegExp(`search of task ${t.id} failed: influence probe .*trainer down`));
    }
    expect(failed).toBeGreaterThan(0);
  });
});
