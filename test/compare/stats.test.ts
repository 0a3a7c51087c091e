import { describe, expect, it } from 'vitest';
import { mean, meanCi95, sampleSd, t975, T975_TABLE, Z975 } from '../../engine/report/stats.ts';

describe('t975', () => {
  it('reads the table for df 1..30', () => {
    expect(t975(1)).toBe(12.7062);
    expect(t975(2)).toBe(4.3027);
    expect(t975(4)).toBe(2.7764);
    expect(t975(30)).toBe(2.0423);
    expect(T975_TABLE).toHaveLength(30);
  });

  it('continues the table smoothly past df 30 and tends to z(0.975)', () => {
    // Exact quantiles: t(0.975, 31) = 2.0395, 40 = 2.0211, 60 = 2.0003, 120 = 1.9799.
    expect(t975(31)).toBeCloseTo(2.0395, 4);
    expect(t975(40)).toBeCloseTo(2.0211, 4);
    expect(t975(60)).toBeCloseTo(2.0003, 4);
    expect(t975(120)).toBeCloseTo(1.9799, 4);
    expect(t975(1e7)).toBeCloseTo(Z975, 6);
    for (let df = 2; df < 200; df++) expect(t975(df)).toBeLessThan(t975(df - 1));
  });

  it('refuses df below 1 or fractional', () => {
    expect(() => t975(0)).toThrow(RangeError);
    expect(() => t975(2.5)).toThrow(RangeError);
  });
});

describe('mean and sample sd', () => {
  it('match hand-computed values', () => {
    expect(mean([0.5, 0.7, 0.6])).toBeCloseTo(0.6, 12);
    expect(sampleSd([0.5, 0.7, 0.6])).toBeCloseTo(0.1, 12);
    // Σ(x - 3)² = 10 over n - 1 = 4.
    expect(sampleSd([1, 2, 3, 4, 5])).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(sampleSd([7])).toBeUndefined();
    expect(() => mean([])).toThrow(RangeError);
  });
});

describe('meanCi95', () => {
  it('is mean ± t(0.975, n - 1)·sd/√n', () => {
    const ci = meanCi95([0.5, 0.7, 0.6]);
    // 4.3027 · 0.1 / √3 = 0.2484165...
    expect(ci.n).toBe(3);
    expect(ci.mean).toBeCloseTo(0.6, 12);
    expect(ci.half).toBeCloseTo(0.2484165, 6);
    expect(ci.lo).toBeCloseTo(0.3515835, 6);
    expect(ci.hi).toBeCloseTo(0.8484165, 6);

    // Five seeds: 2.7764 · √2.5 / √5 = 2.7764 / √2 = 1.963211...
    const five = meanCi95([1, 2, 3, 4, 5]);
    expect(five.half).toBeCloseTo(1.963211, 6);
    expect(five.lo).toBeCloseTo(3 - 1.963211, 6);
  });

  it('has zero width for equal values and no interval for one seed', () => {
    expect(meanCi95([0.9, 0.9]).half).toBe(0);
    expect(meanCi95([0.42])).toEqual({ n: 1, mean: 0.42, sd: null, half: null, lo: null, hi: null });
  });
});
