import { describe, expect, it } from 'vitest';
import { pearson } from '../../engine/influence/correlation.ts';
import { bootstrapSpearman, choleskySolve, drawSubsets, fitGroupValues, predict, splitHalf, subsetSize } from '../../engine/influence/subset-values.ts';
import { Rng } from '../../engine/base/rng.ts';

/** Known values, centred: fixed-size subsets identify them only up to a common shift. */
function knownValues(groups: number, seed: number): number[] {
  const rng = Rng.keyed('known-values', seed);
  const raw = Array.from({ length: groups }, () => rng.next() * 0.2 - 0.1);
  const mean = raw.reduce((s, v) => s + v, 0) / groups;
  return raw.map((v) => v - mean);
}

/** metric(S) = b + Σ_{g ∈ S} θ_g + noise·N(0, 1) (Box-Muller from a keyed stream). */
function linearMetrics(subsets: readonly (readonly number[])[], theta: readonly number[], b: number, noise: number): number[] {
  const rng = Rng.keyed('linear-noise');
  return subsets.map((s) => {
    const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    return s.reduce((sum, g) => sum + (theta[g] as number), b) + noise * z;
  });
}

describe('drawSubsets', () => {
  it('draws R subsets of round(αG) distinct groups, keyed, a smaller R being a prefix of a larger one', () => {
    const a = drawSubsets(30, 50, 0.5, [7, 'x']);
    expect(a).toHaveLength(50);
    for (const s of a) {
      expect(s).toHaveLength(15);
      expect(new Set(s).size).toBe(15);
      expect([...s].sort((p, q) => p - q)).toEqual(s);
      for (const g of s) expect(g >= 0 && g < 30).toBe(true);
    }
    expect(drawSubsets(30, 20, 0.5, [7, 'x'])).toEqual(a.slice(0, 20));
    expect(drawSubsets(30, 50, 0.5, [8, 'x'])).not.toEqual(a);
    expect(subsetSize(10, 0.01)).toBe(1);
    expect(subsetSize(10, 0.99)).toBe(9);
    expect(() => subsetSize(10, 1)).toThrow(RangeError);
    expect(() => subsetSize(1, 0.5)).toThrow(RangeError);
  });
});

describe('choleskySolve', () => {
  it('solves a symmetric positive definite system', () => {
    const a = Float64Array.from([4, 2, 0.4, 2, 5, 1, 0.4, 1, 3]);
    const x = Float64Array.from([1, -2, 0.5]);
    const b = Float64Array.from([0, 1, 2].map((i) => [0, 1, 2].reduce((s, j) => s + (a[i * 3 + j] as number) * (x[j] as number), 0)));
    const got = choleskySolve(a, b, 3);
    for (let i = 0; i < 3; i++) expect(got[i]).toBeCloseTo(x[i] as number, 12);
    expect(() => choleskySolve(Float64Array.from([1, 2, 2, 1]), Float64Array.from([1, 1]), 2)).toThrow(/not positive definite/);
  });
});

describe('fitGroupValues on a synthetic linear model', () => {
  const G = 40;
  const theta = knownValues(G, 1);
  const subsets = drawSubsets(G, 300, 0.5, [1, 'synthetic']);

  it('recovers the values exactly without noise, summing to 0, with R² = 1', () => {
    const fit = fitGroupValues(G, subsets, linearMetrics(subsets, theta, 0.6, 0));
    for (let g = 0; g < G; g++) expect(fit.values[g]).toBeCloseTo(theta[g] as number, 5);
    expect(fit.values.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 7);
    expect(fit.intercept).toBeCloseTo(0.6, 5);
    expect(fit.r2).toBeCloseTo(1, 9);
    expect(predict(fit, subsets[0] as number[])).toBeCloseTo(linearMetrics([subsets[0] as number[]], theta, 0.6, 0)[0] as number, 6);
  });

  it('recovers them closely with noise, and the split half and the held-out R² say the values are well determined', () => {
    const metrics = linearMetrics(subsets, theta, 0.6, 0.02);
    const fit = fitGroupValues(G, subsets, metrics);
    expect(pearson(fit.values, theta)).toBeGreaterThan(0.97);
    const maxError = Math.max(...fit.values.map((v, g) => Math.abs(v - (theta[g] as number))));
    expect(maxError).toBeLessThan(0.02);
    expect(fit.r2).toBeGreaterThan(0.9);
    expect(fit.adjustedR2).toBeGreaterThan(0.85);
    const half = splitHalf(G, subsets, metrics);
    expect(half.sizes).toEqual([150, 150]);
    expect(half.spearman).toBeGreaterThan(0.9);
    expect(half.fullReliability).toBeGreaterThan(0.95);
    expect(half.heldOutR2).toBeGreaterThan(0.8);
  });

  it('says so when the metric is noise alone: split-half agreement near 0, held-out R² below 0', () => {
    const metrics = linearMetrics(subsets, new Array<number>(G).fill(0), 0.6, 0.05);
    const half = splitHalf(G, subsets, metrics);
    expect(Math.abs(half.spearman as number)).toBeLessThan(0.35);
    expect(half.heldOutR2).toBeLessThan(0);
  });

  it('gives 0 to a group no subset holds and leaves R² undefined on a constant metric', () => {
    const without = subsets.map((s) => s.filter((g) => g !== 0));
    const fit = fitGroupValues(G, without, linearMetrics(without, theta, 0.6, 0));
    expect(fit.values[0]).toBeCloseTo(0, 9);
    const flat = fitGroupValues(G, subsets, subsets.map(() => 0.5));
    expect(flat.r2).toBeNull();
    for (const v of flat.values) expect(v).toBeCloseTo(0, 9);
  });
});

describe('bootstrapSpearman', () => {
  it('brackets ρ, is keyed, and is null when a side is constant', () => {
    const x = Array.from({ length: 60 }, (_, i) => i);
    const rng = Rng.keyed('boot-y');
    const y = x.map((v) => v + 40 * rng.next());
    const b = bootstrapSpearman(x, y, 500, ['k']);
    expect(b.rho).toBeGreaterThan(0.5);
    expect(b.lo as number).toBeLessThan(b.rho as number);
    expect(b.hi as number).toBeGreaterThan(b.rho as number);
    expect(b.defined).toBe(500);
    expect(bootstrapSpearman(x, y, 500, ['k'])).toEqual(b);
    expect(bootstrapSpearman(x, y, 500, ['other'])).not.toEqual(b);
    expect(bootstrapSpearman(x, x.map(() => 1), 500, ['k'])).toEqual({ rho: null, lo: null, hi: null, resamples: 0, defined: 0 });
  });
});
