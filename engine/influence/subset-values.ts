/**
 * Ground-truth data values from random subsets (docs/influence.md §6; the datamodel estimator):
 * train on R random α-subsets of the groups, measure the test metric of each, and fit
 *
 *   metric(S) ≈ b + Σ_g θ_g · [g ∈ S]
 *
 * by least squares. θ_g is group g's value: what adding it to an α-subset is worth, on average
 * over the other groups it lands with. Pure functions; the training is actors/analyze.ts.
 *
 * Every subset holds the same number k of groups, so that every training run takes the same
 * number of DPO steps (a subset of varying size would confound a group's value with the length
 * of training). The price: Σ_g [g ∈ S] = k for every S, so the intercept and a common shift of
 * all θ are not separately identified (the design has rank G, not G + 1). A ridge penalty λ‖θ‖²
 * (intercept unpenalised) with a tiny λ resolves it: of the least-squares solutions it picks the
 * one with Σθ = 0, so a value is relative to the average group, and shrinks the identified
 * directions by a relative λ / (R·α(1 − α)), about 1e-6 here. Groups in no subset (possible only
 * for a small R) get θ = 0 from the penalty.
 *
 * The normal equations (X'X + λD)β = X'y are symmetric positive definite for any λ > 0, so one
 * Cholesky factorisation solves them; with 0/1 indicators at α = 0.5 they are well conditioned
 * apart from the one direction the penalty alone holds, and a few hundred unknowns take
 * milliseconds, so no linear-algebra dependency is needed.
 */
import { pearson, spearman } from './correlation.ts';
import { Rng } from '../base/rng.ts';

/** λ per subset: the penalty grows with R as X'X does, so its relative size stays put. */
export const RIDGE_PER_SUBSET = 1e-6;

/** Groups per subset: round(α·G), at least 1 and at most G − 1, so every subset leaves some group out. */
export function subsetSize(groups: number, alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (groups < 2) throw new RangeError(`subsets need at least 2 groups, got ${groups}`);
  return Math.min(groups - 1, Math.max(1, Math.round(alpha * groups)));
}

/**
 * R subsets of k = subsetSize(G, α) group positions (0 … G − 1, ascending), subset r drawn by its
 * own keyed stream, so the first R of a larger draw are the draw of R.
 */
export function drawSubsets(groups: number, count: number, alpha: number, key: readonly (string | number)[]): number[][] {
  const k = subsetSize(groups, alpha);
  const all = Array.from({ length: groups }, (_, g) => g);
  return Array.from({ length: count }, (_, r) =>
    Rng.keyed(...key, 'subset', r)
      .shuffle(all)
      .slice(0, k)
      .sort((a, b) => a - b),
  );
}

export interface GroupValueFit {
  intercept: number;
  /** θ_g per group position, summing to 0 for fixed-size subsets. */
  values: number[];
  lambda: number;
  /** In-sample R² = 1 − RSS / TSS (null when every metric is equal). */
  r2: number | null;
  /** Adjusted for the G − 1 identified group contrasts (null when R ≤ G). */
  adjustedR2: number | null;
}

/** Solves A x = b for a symmetric positive definite A (row-major n × n) by Cholesky. */
export function choleskySolve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * n + k] as number) * (l[j * n + k] as number);
      if (i === j) {
        if (!(s > 0)) throw new RangeError(`choleskySolve: the matrix is not positive definite (pivot ${i} is ${s})`);
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / (l[j * n + j] as number);
      }
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (l[i * n + k] as number) * (y[k] as number);
    y[i] = s / (l[i * n + i] as number);
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i] as number;
    for (let k = i + 1; k < n; k++) s -= (l[k * n + i] as number) * (x[k] as number);
    x[i] = s / (l[i * n + i] as number);
  }
  return x;
}

/** The metric the fit predicts for a subset. */
export function predict(fit: Pick<GroupValueFit, 'intercept' | 'values'>, subset: readonly number[]): number {
  return subset.reduce((s, g) => s + (fit.values[g] as number), fit.intercept);
}

/** 1 − Σ(y − ŷ)² / Σ(y − ȳ)²; null when y is constant. */
function rSquared(y: readonly number[], yHat: readonly number[]): number | null {
  const mean = y.reduce((s, v) => s + v, 0) / y.length;
  let rss = 0;
  let tss = 0;
  y.forEach((v, i) => {
    rss += (v - (yHat[i] as number)) ** 2;
    tss += (v - mean) ** 2;
  });
  return tss === 0 ? null : 1 - rss / tss;
}

/** Ridge least squares of `metrics` on the group indicators of `subsets`, with an unpenalised intercept. */
export function fitGroupValues(groups: number, subsets: readonly (readonly number[])[], metrics: readonly number[], lambda = RIDGE_PER_SUBSET * subsets.length): GroupValueFit {
  if (subsets.length !== metrics.length) throw new RangeError(`${subsets.length} subsets but ${metrics.length} metrics`);
  if (subsets.length === 0) throw new RangeError('fitGroupValues needs at least one subset');
  if (!(lambda > 0)) throw new RangeError(`lambda must be positive, got ${lambda}`);
  // Unknowns: the intercept at 0, group g at g + 1.
  const n = groups + 1;
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  subsets.forEach((subset, r) => {
    const y = metrics[r] as number;
    const cols = [0, ...subset.map((g) => g + 1)];
    for (const i of cols) {
      b[i] = (b[i] as number) + y;
      for (const j of cols) a[i * n + j] = (a[i * n + j] as number) + 1;
    }
  });
  for (let g = 1; g < n; g++) a[g * n + g] = (a[g * n + g] as number) + lambda;
  const beta = choleskySolve(a, b, n);
  const fit = { intercept: beta[0] as number, values: Array.from(beta.subarray(1)) };
  const r2 = rSquared(metrics, subsets.map((s) => predict(fit, s)));
  const dfResidual = subsets.length - groups;
  return {
    ...fit,
    lambda,
    r2,
    adjustedR2: r2 === null || dfResidual <= 0 ? null : 1 - ((1 - r2) * (subsets.length - 1)) / dfResidual,
  };
}

export interface SplitHalf {
  /** Subsets in each half (the first ⌊R/2⌋ and the rest: the draws are independent, so any split is a random one). */
  sizes: [number, number];
  /** Rank and linear agreement of the values fitted on each half alone. */
  spearman: number | null;
  pearson: number | null;
  /** Spearman-Brown: the reliability the full-R values would have, 2r / (1 + r) from the Pearson r. */
  fullReliability: number | null;
  /** R² of each half's fit on the other half's subsets, averaged: how well the values predict unseen subsets. */
  heldOutR2: number | null;
}

const orNull = (x: number) => (Number.isNaN(x) ? null : x);

/** Fits the values on each half of the subsets and compares them (needs at least 4 subsets). */
export function splitHalf(groups: number, subsets: readonly (readonly number[])[], metrics: readonly number[]): SplitHalf {
  if (subsets.length < 4) throw new RangeError(`the split-half check needs at least 4 subsets, got ${subsets.length}`);
  const half = Math.floor(subsets.length / 2);
  const parts = [
    { s: subsets.slice(0, half), y: metrics.slice(0, half) },
    { s: subsets.slice(half), y: metrics.slice(half) },
  ] as const;
  const fits = parts.map((p) => fitGroupValues(groups, p.s, p.y));
  const [a, b] = fits as [GroupValueFit, GroupValueFit];
  const r = orNull(pearson(a.values, b.values));
  const heldOut = parts.map((p, i) => rSquared(p.y, p.s.map((s) => predict(fits[1 - i] as GroupValueFit, s))));
  return {
    sizes: [half, subsets.length - half],
    spearman: orNull(spearman(a.values, b.values)),
    pearson: r,
    fullReliability: r === null || r <= -1 ? null : (2 * r) / (1 + r),
    heldOutR2: heldOut.some((x) => x === null) ? null : ((heldOut[0] as number) + (heldOut[1] as number)) / 2,
  };
}

export interface BootstrapRho {
  /** Spearman's ρ on the groups as they are (null when undefined: a constant side). */
  rho: number | null;
  /** 2.5th and 97.5th percentiles of ρ over the resamples where it is defined. */
  lo: number | null;
  hi: number | null;
  /** Resamples drawn, and those with ρ defined (a resample can make a side constant). */
  resamples: number;
  defined: number;
}

/** The q-quantile of ascending `xs`, linear between order statistics. */
function quantile(xs: readonly number[], q: number): number {
  const at = (xs.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (xs[lo] as number) + ((xs[hi] as number) - (xs[lo] as number)) * (at - lo);
}

/**
 * Spearman's ρ of x and y with a 95% percentile bootstrap interval: groups resampled with
 * replacement, `resamples` times, from the keyed stream. The interval is over which groups
 * were measured, the values taken as given; the split-half check is what speaks to their noise.
 */
export function bootstrapSpearman(x: readonly number[], y: readonly number[], resamples: number, key: readonly (string | number)[]): BootstrapRho {
  if (x.length !== y.length) throw new RangeError(`bootstrapSpearman: ${x.length} values against ${y.length}`);
  const rho = orNull(spearman(x, y));
  if (rho === null) return { rho, lo: null, hi: null, resamples: 0, defined: 0 };
  const rng = Rng.keyed(...key, 'bootstrap');
  const n = x.length;
  const rhos: number[] = [];
  for (let b = 0; b < resamples; b++) {
    const pick = Array.from({ length: n }, () => rng.below(n));
    const r = spearman(pick.map((i) => x[i] as number), pick.map((i) => y[i] as number));
    if (!Number.isNaN(r)) rhos.push(r);
  }
  rhos.sort((p, q) => p - q);
  return {
    rho,
    lo: rhos.length > 0 ? quantile(rhos, 0.025) : null,
    hi: rhos.length > 0 ? quantile(rhos, 0.975) : null,
    resamples,
    defined: rhos.length,
  };
}
