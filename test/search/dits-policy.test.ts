import { describe, expect, it } from 'vitest';
import { ROOT, TreeStore } from '../../engine/tree/store.ts';
import { Rng } from '../../engine/base/rng.ts';
import { ditsPolicy, ditsScore } from '../../engine/search/policies/dits.ts';
import { applyInfluence, pairKey, unprobedGroups } from '../../engine/search/influence-map.ts';
import type { TreePair } from '../../engine/search/pairs.ts';

function child(t: TreeStore, parent: number, text: string, value: number): number {
  const n = t.addChild(parent, { speaker: 0, text, answer: '', tokens: 1 });
  t.visits[n] = 1;
  t.valueSum[n] = value;
  return n;
}

/** root -> a (Q 0.2) -> a1 -> a11; root -> b (Q 0.6) -> b1 -> b11 */
function fixture() {
  const t = new TreeStore();
  const a = child(t, ROOT, 'Alice: sharing the first fact about the company', 0.2);
  const a1 = child(t, a, 'Bob: x', 0.2);
  child(t, a1, 'Alice: y', 0.2);
  const b = child(t, ROOT, 'Alice: <A>Lyon</A> seems right to me', 0.6);
  const b1 = child(t, b, 'Bob: z', 0.6);
  child(t, b1, 'Alice: w', 0.6);
  return { t, a, b };
}

const pair = (node: number, chosen: number, rejected: number): TreePair => ({ node, chosen, rejected, chosenValue: 1, rejectedValue: 0 });

describe('influence-guided selection (the dits policy)', () => {
  it('scores probed nodes by influence + gamma Q and unprobed ones by the bonus + gamma Q', () => {
    expect(ditsScore(0.9, 0.2, { gamma: 1, bonus: 0.5 })).toBeCloseTo(1.1, 12);
    expect(ditsScore(Number.NaN, 0.2, { gamma: 1, bonus: 0.5 })).toBeCloseTo(0.7, 12);
    expect(ditsScore(0.9, 0.2, { gamma: 0, bonus: 0.5 })).toBe(0.9);
  });

  it('credits a group\'s normalised influence to the nodes of its pairs, per task', () => {
    const { t, a, b } = fixture();
    applyInfluence(t, [
      { pairs: [pair(ROOT, b, a)], metric: 0.5 },
      { pairs: [pair(a, 2, 3)], metric: 0.9 },
    ]);
    expect(t.influence[b]).toBe(0); // only in the worse group
    expect(t.influence[a]).toBe(0.5); // in both: mean of 0 and 1
    expect(t.influence[2]).toBe(1);
    expect(Number.isNaN(t.influence[5] as number)).toBe(true);
  });

  it('steers selection towards influential branches', () => {
    const { t, a, b } = fixture();
    const policy = ditsPolicy({ gamma: 0 });
    const pick = (i: number) => policy.select({ tree: t, selected: [], selection: i, maxDepth: 10, rng: Rng.keyed(3, 'x', i) });
    const share = (n: number) => Array.from({ length: 300 }, (_, i) => pick(i)).filter((p) => p === n).length / 300;
    const before = share(a);
    applyInfluence(t, [
      { pairs: [pair(ROOT, a, b)], metric: 1 },
      { pairs: [pair(b, 5, 6)], metric: 0 },
    ]);
    expect(share(a)).toBeGreaterThan(before);
    expect(share(a)).toBeGreaterThan(share(b));
  });

  it('groups only pairs not probed before, in whole groups', () => {
    const ps = [pair(0, 1, 2), pair(1, 3, 4), pair(2, 5, 6), pair(3, 7, 8), pair(4, 9, 10)];
    expect(unprobedGroups(ps, new Set(), 2)).toEqual([[ps[0], ps[1]], [ps[2], ps[3]]]);
    expect(unprobedGroups(ps, new Set([pairKey(ps[0]!), pairKey(ps[2]!)]), 2)).toEqual([[ps[1], ps[3]]]);
  });

  it('has Optima\'s parameters plus gamma, bonus and the probing cadence, checked like every policy', () => {
    const p = ditsPolicy({ gamma: 0.5, probeEvery: 3 });
    expect(p.params).toMatchObject({ gamma: 0.5, bonus: 0.5, probeEvery: 3, groupSize: 5, topK: 10, selections: 8, rollouts: 3 });
    expect(p.probing).toEqual({ every: 3, groupSize: 5 });
    expect(() => ditsPolicy({ gama: 1 })).toThrow(/no parameter 'gama'/);
  });
});
