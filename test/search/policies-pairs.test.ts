import { describe, expect, it } from 'vitest';
import { ROOT, TreeStore } from '../../engine/tree/store.ts';
import { Rng } from '../../engine/base/rng.ts';
import { filterAgainstSelected, optimaCandidates, optimaPolicy, topByValue } from '../../engine/search/policies/optima.ts';
import { uctPolicy } from '../../engine/search/policies/uct.ts';
import { puctPolicy } from '../../engine/search/policies/puct.ts';
import { randomPolicy } from '../../engine/search/policies/random.ts';
import { bestOfNPolicy } from '../../engine/search/policies/best-of-n.ts';
import { loadPolicy } from '../../engine/search/policies/index.ts';
import { candidatePairs, pairQuota, toPreferencePair, treePairs } from '../../engine/search/pairs.ts';
import { InputError } from '../../scenarios/errors.ts';

/** Adds a child with a given mean value over `visits` visits. */
function child(t: TreeStore, parent: number, text: string, value: number, visits = 1): number {
  const n = t.addChild(parent, { speaker: (t.depth[parent] as number) % 2, text, answer: '', tokens: 3 });
  t.visits[n] = visits;
  t.valueSum[n] = value * visits;
  return n;
}

/** root -> a (0.9) -> a1 -> a11 ; root -> b (0.2) -> b1 ; a -> a2 (0.1) */
function fixture() {
  const t = new TreeStore();
  t.visits[ROOT] = 4;
  t.valueSum[ROOT] = 2;
  const a = child(t, ROOT, 'Alice: share fact one about the film', 0.9, 3);
  const a1 = child(t, a, 'Bob: the director was born in Lyon', 1.0, 2);
  const a11 = child(t, a1, 'Alice: <A>Lyon</A>', 1.0, 2);
  const a2 = child(t, a, 'Bob: <A>Paris</A>', 0.1, 1);
  const b = child(t, ROOT, 'Alice: <A>Bergen</A> is my guess', 0.2, 1);
  const b1 = child(t, b, 'Bob: <A>Bergen</A>', 0.2, 1);
  return { t, a, a1, a11, a2, b, b1 };
}

const ctx = (t: TreeStore, selected: number[] = [], selection = 0) => ({ tree: t, selected, selection, maxDepth: 10, rng: Rng.keyed(1, 'task', selection) });

describe('optima selection (§2.3)', () => {
  it('candidates are the root and nodes whose first child has children', () => {
    const { t, a } = fixture();
    // b's only child b1 is a leaf: b sits on the second-to-last level.
    expect(optimaCandidates(t)).toEqual([ROOT, a]);
  });

  it('drops candidates within 0.25 edit distance of an earlier selection', () => {
    const { t, a, b } = fixture();
    expect(filterAgainstSelected(t, [ROOT, a, b], [a], 0.25)).toEqual([ROOT, b]);
    expect(filterAgainstSelected(t, [ROOT, a, b], [ROOT], 0.25)).toEqual([a, b]);
  });

  it('ranks by value and samples by softmax over raw values, deterministically per key', () => {
    const { t, a, b } = fixture();
    expect(topByValue(t, [ROOT, a, b], 2)).toEqual([a, ROOT]);
    const policy = optimaPolicy();
    const picks = Array.from({ length: 400 }, (_, i) => policy.select(ctx(t, [], i)));
    const share = (n: number) => picks.filter((p) => p === n).length / picks.length;
    // softmax over (a 0.9, root 0.5) = 0.60, 0.40; b is no candidate
    expect(share(a)).toBeGreaterThan(0.52);
    expect(share(a)).toBeLessThan(0.68);
    expect(share(b)).toBe(0);
    expect(policy.select(ctx(t, [], 7))).toBe(policy.select(ctx(t, [], 7)));
  });

  it('falls back to the root when every candidate was filtered', () => {
    const { t, a } = fixture();
    expect(optimaPolicy().select(ctx(t, [ROOT, a]))).toBe(ROOT);
  });

  it('never picks a terminal node', () => {
    const { t, a } = fixture();
    t.markTerminal(a);
    for (let i = 0; i < 50; i++) expect(optimaPolicy().select(ctx(t, [], i))).toBe(ROOT);
  });
});

describe('other policies', () => {
  it('UCT prefers high value with few visits; PUCT divides by the sibling count; both skip earlier selections', () => {
    const { t, a, a1 } = fixture();
    const uct = uctPolicy({ c: 0 });
    expect(uct.select(ctx(t))).toBe(a1);
    expect(uct.select(ctx(t, [a1, 3]))).toBe(a);
    const puct = puctPolicy({ c: 0 });
    expect(puct.select(ctx(t))).toBe(a1);
  });

  it('random picks uniformly among unselected expandable nodes; best-of-n always expands the root', () => {
    const { t, a } = fixture();
    const seen = new Set(Array.from({ length: 200 }, (_, i) => randomPolicy().select(ctx(t, [a], i))));
    expect(seen.has(a)).toBe(false);
    expect(seen.size).toBeGreaterThan(3);
    const bon = bestOfNPolicy({ n: 12 });
    expect([bon.select(ctx(t)), bon.selections, bon.rollouts]).toEqual([ROOT, 1, 12]);
  });

  it('rejects unknown parameters and wrong types, and unknown policy names', async () => {
    expect(() => optimaPolicy({ topk: 5 })).toThrow(/no parameter 'topk'.*topK/);
    expect(() => uctPolicy({ c: 'big' })).toThrow(InputError);
    await expect(loadPolicy('alphazero', {})).rejects.toThrow(/unknown policy 'alphazero'/);
    expect((await loadPolicy('optima', { topK: 5 })).params.topK).toBe(5);
  });
});

describe('pairs (§2.3)', () => {
  it('take the best and worst child where the thresholds hold', () => {
    const { t, a, a1, a2 } = fixture();
    const pairs = candidatePairs(t, { pairThreshold: 0.4, pairGap: 0.2 });
    expect(pairs).toEqual([
      { node: ROOT, chosen: a, rejected: 4 + 1, chosenValue: 0.9, rejectedValue: 0.2 },
      { node: a, chosen: a1, rejected: a2, chosenValue: 1, rejectedValue: 0.1 },
    ]);
    expect(candidatePairs(t, { pairThreshold: 0.95, pairGap: 0.2 })).toHaveLength(1);
    expect(candidatePairs(t, { pairThreshold: 0.4, pairGap: 0.8 })).toHaveLength(1);
  });

  it('keep the top half by chosen value per tree, or the single pair', () => {
    expect([0, 1, 2, 3, 4, 5].map(pairQuota)).toEqual([0, 1, 1, 1, 2, 2]);
    const { t, a } = fixture();
    expect(treePairs(t, { pairThreshold: 0.4, pairGap: 0.2 }).map((p) => p.node)).toEqual([a]);
  });

  it('carry the chosen speaker\'s prompt, the history and provenance', () => {
    const { t, a, a1, a2 } = fixture();
    const [tp] = treePairs(t, { pairThreshold: 0.4, pairGap: 0.2 });
    const pair = toPreferencePair(t, tp!, 'task-7', ['Alice', 'Bob'], ['SYS-A', 'SYS-B']);
    expect(pair).toEqual({
      taskId: 'task-7',
      nodePath: [0],
      speaker: 'Bob',
      prompt: [
        { role: 'system', content: 'SYS-B' },
        { role: 'assistant', content: t.text[a] },
      ],
      chosen: t.text[a1],
      rejected: t.text[a2],
      chosenValue: 1,
      rejectedValue: 0.1,
      gap: 0.9,
    });
  });
});
