import { describe, expect, it } from 'vitest';
import { fc, test as propTest } from '@fast-check/vitest';
import { probeGroups } from '../../engine/influence/groups.ts';
import { minMaxNormalize, pairInfluence } from '../../engine/influence/normalize.ts';
import { keepCount, SELECTION_MODES, selectPairs } from '../../engine/influence/selection.ts';

describe('probe groups (§3.2)', () => {
  it('cut a seeded permutation into consecutive groups; g = 1 gives one pair per group', () => {
    const g5 = probeGroups(12, { size: 5, seed: 42 });
    expect(g5.map((g) => g.members.length)).toEqual([5, 5, 2]);
    expect(probeGroups(12, { size: 5, seed: 42, dropPartialGroup: true }).map((g) => g.members.length)).toEqual([5, 5]);
    expect(probeGroups(12, { size: 5, seed: 42 })).toEqual(g5);
    expect(probeGroups(12, { size: 5, seed: 43 })).not.toEqual(g5);
    expect(probeGroups(4, { size: 1, seed: 1 }).map((g) => g.members.length)).toEqual([1, 1, 1, 1]);
    expect(() => probeGroups(4, { size: 0, seed: 1 })).toThrow(RangeError);
  });

  propTest.prop([fc.nat({ max: 300 }), fc.integer({ min: 1, max: 12 }), fc.nat()])('every pair is in exactly one group', (n, size, seed) => {
    const members = probeGroups(n, { size, seed }).flatMap((g) => g.members);
    expect(members.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
  });
});

describe('normalisation (§3.2 step 5)', () => {
  it('maps the worst group to 0 and the best to 1', () => {
    expect(minMaxNormalize([0.2, 0.6, 0.4])).toEqual([0, 1, 0.5000000000000001]);
  });

  it('gives 0 to every group when all scores are equal, or there is one group', () => {
    expect(minMaxNormalize([0.3, 0.3, 0.3])).toEqual([0, 0, 0]);
    expect(minMaxNormalize([0.7])).toEqual([0]);
    expect(minMaxNormalize([])).toEqual([]);
    expect(() => minMaxNormalize([0.1, Number.NaN])).toThrow(RangeError);
  });

  it('gives every member its group\'s score and unprobed pairs NaN', () => {
    const inf = pairInfluence(5, [{ members: [3, 0] }, { members: [1] }], [0.5, 0.9]);
    expect(inf.slice(0, 4)).toEqual([0, 1, Number.NaN, 0]);
    expect(Number.isNaN(inf[4] as number)).toBe(true);
  });
});

describe('selection (§3.3)', () => {
  const pairs = [
    { q: 0.9, influence: 0 },
    { q: 0.5, influence: 1 },
    { q: 0.7, influence: 0.5 },
    { q: 1.2, influence: 0.1 },
  ];
  const pick = (mode: (typeof SELECTION_MODES)[number], gamma = 1) => selectPairs(pairs, { mode, alpha: 0.5, gamma, seed: 1 });

  it('ranks by Q, by influence, or by influence + gamma Q, and keeps the original order', () => {
    expect(pick('q')).toEqual([0, 3]);
    expect(pick('influence')).toEqual([1, 2]);
    expect(pick('mix')).toEqual([1, 3]); // H = 0.9, 1.5, 1.2, 1.3
    expect(pick('mix', 0)).toEqual(pick('influence'));
    expect(pick('full')).toEqual([0, 1, 2, 3]);
    expect(pick('random')).toEqual(selectPairs(pairs, { mode: 'random', alpha: 0.5, gamma: 1, seed: 1 }));
  });

  propTest.prop([
    fc.array(fc.record({ q: fc.double({ min: -2, max: 2, noNaN: true }), influence: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(Number.NaN)) }), { maxLength: 60 }),
    fc.constantFrom(...SELECTION_MODES),
    fc.double({ min: 0, max: 1, noNaN: true }),
    fc.nat(),
  ])('each mode keeps exactly its count, without repeats', (ps, mode, alpha, seed) => {
    const kept = selectPairs(ps, { mode, alpha, gamma: 1, seed });
    expect(kept).toHaveLength(keepCount(ps.length, mode, alpha));
    expect(new Set(kept).size).toBe(kept.length);
    expect(kept.every((i) => i >= 0 && i < ps.length)).toBe(true);
  });
});
