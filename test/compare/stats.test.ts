import { describe, expect, it } from 'vitest';
import { mean, meanCi95, pairedCi95, pooledSd, sampleSd, sampleVariance, t975, T975_TABLE, wilson95, Z975 } from '../../engine/report/stats.ts';

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

describe('pairedCi95', () => {
  it('is the t interval of the per-index differences', () => {
    // Differences 0.1, 0.2, 0: mean 0.1, sd 0.1, half 4.3027 · 0.1 / √3 = 0.2484165.
    const d = pairedCi95([0.7, 0.8, 0.9], [0.6, 0.6, 0.9]);
    expect(d.mean).toBeCloseTo(0.1, 12);
    expect(d.sd).toBeCloseTo(0.1, 12);
    expect(d.half).toBeCloseTo(0.2484165, 6);
    expect(d.lo).toBeCloseTo(0.1 - 0.2484165, 6);
  });

  it('is narrower than the unpaired intervals when the seeds move both sides alike', () => {
    const a = [0.5, 0.7, 0.9];
    const b = [0.45, 0.66, 0.84];
    expect(pairedCi95(a, b).half as number).toBeLessThan((meanCi95(a).half as number) / 10);
  });

  it('refuses unequal lengths', () => {
    expect(() => pairedCi95([1, 2], [1])).toThrow(RangeError);
  });
});

describe('pooledSd', () => {
  it('is the root mean of the groups\' sample variances, leaving out groups of one', () => {
    // Variances 2 and 8: √5.
    expect(pooledSd([[1, 3], [10, 14]])).toBeCloseTo(Math.sqrt(5), 12);
    expect(pooledSd([[1, 3], [10, 14], [7]])).toBeCloseTo(Math.sqrt(5), 12);
    // One group: its own sd.
    expect(pooledSd([[0.5, 0.7, 0.6]])).toBeCloseTo(0.1, 12);
    expect(pooledSd([[7], [8]])).toBeUndefined();
    expect(sampleVariance([1, 3])).toBe(2);
  });
});

describe('wilson95', () => {
  it('matches hand-computed Wilson score intervals', () => {
    // p = 0.3, n = 10: centre (p + z²/2n)/(1 + z²/n) = 0.355503, half 0.247716.
    const w = wilson95(3, 10);
    expect(w.share).toBe(0.3);
    expect(w.lo).toBeCloseTo(0.107791, 6);
    expect(w.hi).toBeCloseTo(0.603222, 6);
    expect(wilson95(2, 4).lo).toBeCloseTo(0.150039, 6);
    expect(wilson95(2, 4).hi).toBeCloseTo(0.849961, 6);
  });

  it('stays inside [0, 1] and is not empty at 0 or n successes', () => {
    const none = wilson95(0, 10);
    expect(none.lo).toBe(0);
    expect(none.hi).toBeCloseTo(0.277533, 6);
    const all = wilson95(10, 10);
    expect(all.lo).toBeCloseTo(0.722467, 6);
    expect(all.hi).toBeLessThanOrEqual(1);
    expect(all.hi).toBeCloseTo(1, 12);
  });

  it('refuses impossible counts', () => {
    expect(() => wilson95(0, 0)).toThrow(RangeError);
    expect(() => wilson95(5, 4)).toThrow(RangeError);
    expect(() => wilson95(1.5, 4)).toThrow(RangeError);
  });
});
