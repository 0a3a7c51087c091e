import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { averageRanks, pearson, spearman } from '../../engine/influence/correlation.ts';

describe('averageRanks', () => {
  it('ranks ascending from 1, ties sharing the mean of the ranks they span', () => {
    expect(averageRanks([3, 1, 2])).toEqual([3, 1, 2]);
    expect(averageRanks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
    expect(averageRanks([5, 5, 5])).toEqual([2, 2, 2]);
    expect(averageRanks([2, 1, 2, 1, 2])).toEqual([4, 1.5, 4, 1.5, 4]);
    expect(averageRanks([-0.5, 7, -3])).toEqual([2, 3, 1]);
    expect(averageRanks([])).toEqual([]);
  });

  it('refuses non-finite values', () => {
    expect(() => averageRanks([1, Number.NaN])).toThrow(RangeError);
    expect(() => averageRanks([Infinity])).toThrow(RangeError);
  });
});

describe('spearman', () => {
  it('is +1 and -1 for perfectly monotone data, linear or not', () => {
    expect(spearman([1, 2, 3, 4], [10, 100, 1000, 10_000])).toBe(1);
    expect(spearman([1, 2, 3, 4], [0.4, 0.3, 0.2, -5])).toBe(-1);
    expect(spearman([3, 1, 2], [30, 10, 20])).toBe(1);
  });

  it('matches hand-computed values', () => {
    // No ties: 1 - 6·Σd²/(n(n²-1)) = 1 - 6·4/120.
    expect(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])).toBeCloseTo(0.8, 12);
    // Ties in x: ranks (1, 2.5, 2.5, 4) against (1, 2, 3, 4): Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5, ρ = 4.5/√22.5 = 3/√10.
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(3 / Math.sqrt(10), 12);
    // Ties on both sides: ranks (1.5, 1.5, 3, 4) and (1, 2.5, 2.5, 4): Σdxdy = 3.75, Σdx² = Σdy² = 4.5.
    expect(spearman([0, 0, 1, 2], [0, 1, 1, 2])).toBeCloseTo(3.75 / 4.5, 12);
    // Σd² = 6 of n = 3, and Σd² = 10 of n = 4: ρ = -0.5 and 0.
    expect(spearman([1, 2, 3], [2, 3, 1])).toBeCloseTo(-0.5, 12);
    expect(spearman([1, 2, 3, 4], [2, 4, 1, 3])).toBeCloseTo(0, 12);
  });

  it('is NaN when undefined: a constant side or fewer than two values', () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(spearman([1, 2, 3], [0, 0, 0])).toBeNaN();
    expect(spearman([1], [2])).toBeNaN();
    expect(spearman([], [])).toBeNaN();
    expect(pearson([2, 2], [1, 3])).toBeNaN();
  });

  it('refuses unequal lengths and non-finite values', () => {
    expect(() => spearman([1, 2], [1, 2, 3])).toThrow(RangeError);
    expect(() => spearman([1, Number.NaN], [1, 2])).toThrow(RangeError);
  });

  const pairsOf = fc.integer({ min: 2, max: 30 }).chain((n) =>
    fc.tuple(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: n, maxLength: n }), fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: n, maxLength: n })),
  );

  test.prop([pairsOf])('lies in [-1, 1], is symmetric, is unchanged by increasing transforms and flips sign with one side', ([x, y]) => {
    const r = spearman(x, y);
    if (Number.isNaN(r)) {
      expect(new Set(x).size === 1 || new Set(y).size === 1).toBe(true);
      return;
    }
    expect(r).toBeGreaterThanOrEqual(-1);
    expect(r).toBeLessThanOrEqual(1);
    expect(spearman(y, x)).toBeCloseTo(r, 12);
    expect(spearman(x.map((v) => Math.exp(v / 2) + 3), y.map((v) => v * 4))).toBeCloseTo(r, 12);
    expect(spearman(x, y.map((v) => -v))).toBeCloseTo(-r, 12);
  });

  test.prop([fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 30 })])('is 1 against itself when not constant', (x) => {
    fc.pre(new Set(x).size > 1);
    expect(spearman(x, x)).toBeCloseTo(1, 12);
  });
});
