/**
 * Influence of a probe group: F_g - F(warm), and its min-max normalisation over the groups of
 * an iteration (§3.2 step 5), Ĩ = (F_g - min F) / (max F - min F) in [0, 1].
 */

/** Min-max normalised scores. All equal (or a single group) carries no ranking information: every score is 0. */
export function minMaxNormalize(values: readonly number[]): number[] {
  if (values.some((v) => !Number.isFinite(v))) throw new RangeError('influence values must be finite numbers');
  if (values.length === 0) return [];
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (max === min) return values.map(() => 0);
  return values.map((v) => (v - min) / (max - min));
}

/** Per-pair normalised influence from per-group metrics; pairs in no group get NaN. */
export function pairInfluence(pairCount: number, groups: readonly { members: readonly number[] }[], groupScores: readonly number[]): number[] {
  if (groups.length !== groupScores.length) throw new RangeError(`${groups.length} groups but ${groupScores.length} scores`);
  const normalized = minMaxNormalize(groupScores);
  const out = new Array<number>(pairCount).fill(Number.NaN);
  groups.forEach((g, i) => {
    for (const m of g.members) out[m] = normalized[i] as number;
  });
  return out;
}
