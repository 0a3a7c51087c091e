/**
 * Summary statistics over seeds: mean, sample standard deviation, a two-sided 95% Student t
 * confidence interval for a mean (and for a paired difference, which is the mean of the
 * per-seed differences), the pooled standard deviation within groups, and Wilson's 95%
 * interval for a proportion. Written by hand (no dependency): t(0.975, df) comes from a table
 * for df 1..30 and from the Cornish-Fisher expansion beyond, which agrees with the exact
 * quantile to 4 decimals there.
 */

/** t(0.975, df) for df = 1..30 (index df - 1), to 4 decimals. */
export const T975_TABLE: readonly number[] = [
  12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.306, 2.2622, 2.2281, 2.201, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.093,
  2.086, 2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
];

/** z(0.975) of the standard normal. */
export const Z975 = 1.959963984540054;

/** The 0.975 quantile of Student's t with `df` degrees of freedom (df >= 1). */
export function t975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`degrees of freedom must be a positive integer, got ${df}`);
  if (df <= T975_TABLE.length) return T975_TABLE[df - 1] as number;
  // Cornish-Fisher expansion of the t quantile in powers of 1/df (Abramowitz & Stegun 26.7.5).
  const z = Z975;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  const z9 = z ** 9;
  const g1 = (z3 + z) / 4;
  const g2 = (5 * z5 + 16 * z3 + 3 * z) / 96;
  const g3 = (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / 384;
  const g4 = (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / 92160;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3 + g4 / df ** 4;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('the mean of no values is undefined');
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Sample variance (divisor n - 1); undefined below two values. */
export function sampleVariance(xs: readonly number[]): number | undefined {
  if (xs.length < 2) return undefined;
  const m = mean(xs);
  return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
}

/** Sample standard deviation (divisor n - 1); undefined below two values. */
export function sampleSd(xs: readonly number[]): number | undefined {
  const v = sampleVariance(xs);
  return v === undefined ? undefined : Math.sqrt(v);
}

/**
 * The standard deviation within groups, pooled: the root mean of the groups' sample variances
 * (groups of equal size weigh equally, as the runs of one configuration do). Groups of fewer
 * than two values say nothing about the spread and are left out; undefined when all are.
 */
export function pooledSd(groups: readonly (readonly number[])[]): number | undefined {
  const variances = groups.map(sampleVariance).filter((v): v is number => v !== undefined);
  return variances.length === 0 ? undefined : Math.sqrt(mean(variances));
}

export interface MeanCi {
  n: number;
  mean: number;
  /** Sample standard deviation; null for n = 1. */
  sd: number | null;
  /** Half-width t(0.975, n - 1)·sd/√n; null for n = 1 (no interval from one seed). */
  half: number | null;
  lo: number | null;
  hi: number | null;
}

/** The mean of `xs` with its 95% Student t confidence interval (none for a single value). */
export function meanCi95(xs: readonly number[]): MeanCi {
  const m = mean(xs);
  const sd = sampleSd(xs);
  if (sd === undefined) return { n: xs.length, mean: m, sd: null, half: null, lo: null, hi: null };
  const half = (t975(xs.length - 1) * sd) / Math.sqrt(xs.length);
  return { n: xs.length, mean: m, sd, half, lo: m - half, hi: m + half };
}

/** The 95% interval of the mean difference a_i - b_i of paired values (same seed, same index). */
export function pairedCi95(a: readonly number[], b: readonly number[]): MeanCi {
  if (a.length !== b.length) throw new RangeError(`paired values need equal lengths, got ${a.length} and ${b.length}`);
  return meanCi95(a.map((x, i) => x - (b[i] as number)));
}

export interface Proportion {
  successes: number;
  n: number;
  share: number;
  /** Wilson's 95% score interval: inside [0, 1], and not empty at 0 or n successes. */
  lo: number;
  hi: number;
}

/** successes / n with Wilson's 95% score interval. */
export function wilson95(successes: number, n: number): Proportion {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`a proportion needs n >= 1 trials, got ${n}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) throw new RangeError(`successes must be a whole number in 0..${n}, got ${successes}`);
  const p = successes / n;
  const z2 = Z975 ** 2;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z975 / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Rounding can put an end a hair outside [0, 1] at 0 or n successes.
  return { successes, n, share: p, lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}
