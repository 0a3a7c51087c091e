/**
 * Rank correlation, for comparing influence estimates with each other and with measured gains
 * (docs/influence.md). Spearman's ρ is the Pearson correlation of the ranks, ties sharing the
 * average of the ranks they span, so it is exact with ties (the textbook 1 − 6Σd²/(n(n²−1)) is
 * not). Undefined (NaN) when either side is constant or has fewer than two values.
 */

function finite(values: readonly number[], name: string): void {
  if (values.some((v) => !Number.isFinite(v))) throw new RangeError(`${name}: every value must be a finite number`);
}

/** 1-based ranks in ascending order; tied values share the mean of the ranks they span. */
export function averageRanks(values: readonly number[]): number[] {
  finite(values, 'averageRanks');
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v || a.i - b.i);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && (order[end] as { v: number }).v === (order[start] as { v: number }).v) end++;
    // Positions start..end-1 hold ranks start+1..end; their mean is (start + 1 + end) / 2.
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[(order[k] as { i: number }).i] = rank;
    start = end;
  }
  return ranks;
}

/** Pearson's r; NaN when n < 2 or either side has zero variance. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new RangeError(`pearson: ${x.length} values against ${y.length}`);
  finite(x, 'pearson');
  finite(y, 'pearson');
  const n = x.length;
  if (n < 2) return Number.NaN;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  // Rounding can push a perfect correlation a hair past ±1.
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** Spearman's ρ with average ranks for ties; NaN when undefined (n < 2 or a constant side). */
export function spearman(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new RangeError(`spearman: ${x.length} values against ${y.length}`);
  return pearson(averageRanks(x), averageRanks(y));
}
