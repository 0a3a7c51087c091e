/**
 * The random inputs of the search invariants, as fast-check arbitraries: rollout scripts that
 * grow odd trees cheaply (near-duplicate texts so that some merge, rewards anywhere in Optima's
 * range), pair thresholds, and cases of a search on the simulated model.
 */
import fc from 'fast-check';
import type { Utterance } from '../engine/dialogue/dialogue.ts';
import type { ScoredRollout } from '../engine/search/rollout.ts';

// A few character edits of a handful of templates: some land within the merge ratio (< 0.1), some not.
const TEMPLATES = ['I think the answer is 42 apples.', 'Check step two: the sum is wrong.', 'Revised: it is 17 marbles now.', 'Agreed, the total is 17.'];

export const textArb = fc
  .tuple(fc.nat(TEMPLATES.length - 1), fc.array(fc.tuple(fc.nat(40), fc.constantFrom('x', 'y', 'z')), { maxLength: 5 }))
  .map(([t, edits]) => edits.reduce((s, [at, c]) => s.slice(0, at % s.length) + c + s.slice((at % s.length) + 1), TEMPLATES[t] as string));

export interface RolloutSpec {
  /** Utterances after the node it continues (cut at the cap). */
  length: number;
  texts: string[];
  reward: number;
}

export const rolloutArb: fc.Arbitrary<RolloutSpec> = fc.record({
  length: fc.integer({ min: 1, max: 4 }),
  texts: fc.array(textArb, { minLength: 4, maxLength: 4 }),
  reward: fc.double({ min: -2, max: 2, noNaN: true }),
});

/** Per selection, its rollouts; a policy with fewer selections uses a prefix, with more it cycles. */
export const scriptArb = fc.array(fc.array(rolloutArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 7 });

export const thresholdsArb = fc.record({ pairThreshold: fc.double({ min: -1, max: 1.5, noNaN: true }), pairGap: fc.double({ min: 0, max: 1, noNaN: true }) });

/** A tree grown by a policy from scripted rollouts. */
export interface TreeCase {
  script: RolloutSpec[][];
  maxDepth: number;
  seed: number;
}

export const treeCaseArb: fc.Arbitrary<TreeCase> = fc.record({ script: scriptArb, maxDepth: fc.integer({ min: 2, max: 6 }), seed: fc.nat(10_000) });

/** The rollouts a script gives the `selection`-th selection from a node with `history`, for two alternating speakers. */
export function scriptedRollouts(c: TreeCase, selection: number, history: readonly Utterance[], names: readonly string[]): ScoredRollout[] {
  const specs = c.script[selection % c.script.length] as RolloutSpec[];
  const depth = history.length;
  return specs.map(({ length, texts, reward }) => {
    const fresh = texts
      .slice(0, Math.max(0, Math.min(length, c.maxDepth - depth)))
      .map((text, k) => ({ speaker: names[(depth + k) % names.length] as string, text, answer: '', tokens: text.length }));
    return { dialogue: { utterances: [...history, ...fresh], termination: 'agreement' as const, finalAnswer: '', tokenCount: 0 }, reward };
  });
}

/** A search of one task on the simulated model. */
export interface SimCase {
  /** Index into the stress run's scenarios. */
  scenario: number;
  /** Index into that scenario's generated tasks. */
  task: number;
  seed: number;
  /** The utterance cap of this case (small caps make dead ends and terminal nodes common). */
  cap: number;
}

export function simCaseArb(scenarios: number, tasks: number): fc.Arbitrary<SimCase> {
  return fc.record({
    scenario: fc.nat(scenarios - 1),
    task: fc.nat(tasks - 1),
    seed: fc.nat(10_000),
    cap: fc.integer({ min: 2, max: 10 }),
  });
}
