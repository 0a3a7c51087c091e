/**
 * Invariants of a searched tree, on small random trees: grown by calling the core directly with
 * random rollouts (many cases, cheap), and grown by the real coordinator on the simulated model
 * (its rollouts replayed into a recording tree). The recording tree logs every backup and, for
 * every node created, the siblings that existed at that moment.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { searchTask } from '../actors/search.ts';
import { prepareDialogue, type Utterance } from '../engine/dialogue/dialogue.ts';
import { Rng } from '../engine/base/rng.ts';
import { candidatePairs, pairQuota, treePairs, type PairThresholds } from '../engine/search/pairs.ts';
import { bestOfNPolicy } from '../engine/search/policies/best-of-n.ts';
import { optimaPolicy } from '../engine/search/policies/optima.ts';
import { puctPolicy } from '../engine/search/policies/puct.ts';
import { randomPolicy } from '../engine/search/policies/random.ts';
import { uctPolicy } from '../engine/search/policies/uct.ts';
import { ROOT, type SearchPolicy } from '../engine/search/policy.ts';
import { integrateRollouts, type ScoredRollout } from '../engine/search/rollout.ts';
import { initialLoopState, integrateSelection, nextStep } from '../engine/search/loop.ts';
import { scriptArb, scriptedRollouts, thresholdsArb } from './arbitraries.ts';
import { ancestorsOrSelf, BackupLog } from './invariants.ts';
import { DialogueScorer } from '../engine/dialogue/scoring.ts';
import { SimBackend } from '../engine/sim/backend.ts';
import { generateArithmeticTasks, generateIeTasks } from '../engine/sim/generate.ts';
import { createSimWorld } from '../engine/sim/world.ts';
import { MERGE_THRESHOLD, mergeRatio } from '../engine/tree/edit.ts';
import { TreeStore, type NodeInput } from '../engine/tree/store.ts';
import { resolveScenario } from '../scenarios/scenario-file.ts';

const NAMES = ['Alice', 'Bob'];
const POLICIES: Record<string, () => SearchPolicy> = {
  optima: () => optimaPolicy(),
  uct: () => uctPolicy(),
  puct: () => puctPolicy(),
  random: () => randomPolicy(),
  'best-of-n': () => bestOfNPolicy(),
};

/** A TreeStore that logs its backups and, per created node, the texts of the siblings it joined. */
class RecordingTree extends BackupLog {
  readonly created: Array<{ node: number; siblings: string[] }> = [];
  override addChild(parent: number, node: NodeInput): number {
    const siblings = this.children(parent).map((c) => this.text[c] as string);
    const i = super.addChild(parent, node);
    this.created.push({ node: i, siblings });
    return i;
  }
}

/** Visits, values, rollout paths and merges of a tree grown by `rollouts` (in integration order). */
function checkTree(tree: RecordingTree, rollouts: readonly ScoredRollout[]): void {
  // Every rollout was backed up once, in order, from a leaf whose path spells its utterances.
  expect(tree.backups.map((b) => b.reward)).toEqual(rollouts.map((r) => r.reward));
  for (const [i, { leaf }] of tree.backups.entries()) {
    const utterances = (rollouts[i] as ScoredRollout).dialogue.utterances;
    const path = tree.lineage(leaf);
    expect(path).toHaveLength(utterances.length);
    path.forEach((n, k) => {
      const text = (utterances[k] as Utterance).text;
      const stored = tree.text[n] as string;
      if (stored !== text) expect(mergeRatio(text, stored)).toBeLessThan(MERGE_THRESHOLD);
    });
  }
  // Visits count the rollouts through a node; its value is the mean of their rewards.
  for (let n = 0; n < tree.size; n++) {
    const through = tree.backups.filter((b) => ancestorsOrSelf(tree, b.leaf).includes(n));
    expect(tree.visits[n]).toBe(through.length);
    if (through.length > 0) expect(tree.value(n)).toBeCloseTo(through.reduce((s, b) => s + b.reward, 0) / through.length, 9);
  }
  // A node a rollout created was not within the merge ratio of any sibling that existed then.
  for (const { node, siblings } of tree.created) {
    for (const s of siblings) expect(mergeRatio(tree.text[node] as string, s)).toBeGreaterThanOrEqual(MERGE_THRESHOLD);
  }
}

function checkPairs(tree: TreeStore, t: PairThresholds): void {
  const all = candidatePairs(tree, t);
  const kept = treePairs(tree, t);
  expect(kept.length).toBeLessThanOrEqual(all.length === 0 ? 0 : pairQuota(all.length));
  for (const p of kept) {
    expect(p.chosenValue).toBeGreaterThan(t.pairThreshold);
    expect(p.chosenValue - p.rejectedValue).toBeGreaterThan(t.pairGap);
    const values = tree.children(p.node).map((c) => tree.value(c));
    expect(tree.parent[p.chosen]).toBe(p.node);
    expect(tree.parent[p.rejected]).toBe(p.node);
    expect(p.chosenValue).toBe(Math.max(...values));
    expect(p.rejectedValue).toBe(Math.min(...values));
  }
}

describe('trees grown from random rollouts', () => {
  test.prop([fc.constantFrom(...Object.keys(POLICIES)), scriptArb, fc.integer({ min: 2, max: 6 }), fc.nat(), thresholdsArb], { numRuns: 300 })(
    'policies select expandable nodes, never a non-root node twice; visits, values, merges and pairs hold',
    (name, script, maxDepth, seed, thresholds) => {
      const policy = (POLICIES[name] as () => SearchPolicy)();
      const tree = new RecordingTree();
      const task = { taskId: 't', seed, agentNames: NAMES, maxDepth };
      let state = initialLoopState(tree);
      const all: ScoredRollout[] = [];
      for (let selection = 0; selection < script.length; selection++) {
        const step = nextStep(state, { ...policy, selections: script.length }, task);
        expect(step.kind).toBe('expand');
        if (step.kind !== 'expand') return;
        // A policy may remember what it measured on this tree (optima does): a fresh one, measuring all over, agrees.
        const fresh = (POLICIES[name] as () => SearchPolicy)();
        expect(fresh.select({ tree, selected: state.selected, selection, maxDepth, rng: Rng.keyed(seed, 't', 'select', selection) })).toBe(step.node);
        expect(step.node === ROOT || !state.selected.includes(step.node)).toBe(true);
        const rollouts = scriptedRollouts({ script, maxDepth, seed }, selection, step.history, NAMES);
        state = integrateSelection(state, step.node, rollouts, task);
        all.push(...rollouts);
      }
      checkTree(tree, all);
      checkPairs(tree, thresholds);
    },
  );
});

describe('trees grown by the search coordinator on the simulated model', () => {
  const families = (['gsm8k', 'hotpotqa'] as const).map((family) => {
    const { scenario } = resolveScenario(family);
    const tasks = family === 'gsm8k' ? generateArithmeticTasks(9, 6) : generateIeTasks(9, 6);
    return { scenario, tasks, backend: new SimBackend(createSimWorld(scenario, tasks)) };
  });

  test.prop(
    [fc.nat(1), fc.nat(5), fc.constantFrom(...Object.keys(POLICIES)), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.nat(), thresholdsArb],
    { numRuns: 40 },
  )('replaying its rollouts at its selections rebuilds its tree, and the invariants hold', async (f, t, name, selections, rollouts, seed, thresholds) => {
    const { scenario, tasks, backend } = families[f] as (typeof families)[number];
    const task = tasks[t] as (typeof tasks)[number];
    const base = (POLICIES[name] as () => SearchPolicy)();
    const policy = { ...base, selections, rollouts };
    const scorer = new DialogueScorer(scenario, backend);
    const result = await searchTask({ task, setup: prepareDialogue(scenario, task, seed), scenario, backend, scorer, policy, seed, normalizer: 200 });
    expect(result.rollouts.flat()).toHaveLength(selections * rollouts);
    const names = scenario.agents.map((a) => a.name);
    const replay = new RecordingTree();
    result.selected.forEach((node, i) => {
      expect(node === ROOT || result.selected.indexOf(node) === i).toBe(true);
      integrateRollouts(replay, node, result.rollouts[i] as ScoredRollout[], names);
    });
    for (const key of ['parent', 'visits', 'valueSum', 'terminal', 'speaker', 'text'] as const) {
      expect(Array.from(replay[key] as ArrayLike<unknown>).slice(0, replay.size)).toEqual(Array.from(result.tree[key] as ArrayLike<unknown>).slice(0, result.tree.size));
    }
    checkTree(replay, result.rollouts.flat());
    checkPairs(result.tree, thresholds);
  });
});
