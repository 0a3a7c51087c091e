/**
 * The token normalizer M of Optima's reward (§2.1): token_score = λ1 · token_count / M.
 *
 * Reference (swt-user/DITS):
 * - search (MCTS) path, `train/sft_dpo_DI_test.py`: `int(np.percentile(token_count_list, [80])[0]) + 1`
 *   over the 100 conversations sampled from the SFT model. `"large"` dialogues are *not* removed
 *   from that list.
 * - SFT path, `reward/deploy_reward.py` `reward_batch_based_on_deploy`: the max `token_count` over
 *   the task's samples whose conversation does not contain the `"large"` sentinel.
 */

/** Throws unless every count is a non-negative integer (token counts are). */
function checkCounts(field: string, counts: readonly number[]): void {
  counts.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0) {
      throw new RangeError(`${field}[${i}] must be a non-negative integer token count, got ${c}`);
    }
  });
}

/**
 * numpy's default (`method="linear"`, Hyndman & Fan type 7) percentile of a non-empty sample,
 * with numpy's own arithmetic so that truncating the result agrees with numpy bit for bit:
 * the virtual index is `(n - 1) * q` with `q = p / 100`, and `_lerp` interpolates from the
 * lower neighbour when the weight is below 0.5 and from the upper one otherwise.
 */
export function numpyPercentileLinear(values: readonly number[], percent: number): number {
  if (values.length === 0) throw new RangeError('values must not be empty (numpy raises IndexError)');
  if (!(percent >= 0 && percent <= 100)) throw new RangeError(`percent must be in [0, 100], got ${percent}`);
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const virtualIndex = (n - 1) * (percent / 100);
  // At or beyond the last index numpy takes the maximum without interpolating.
  if (virtualIndex >= n - 1) return sorted[n - 1] as number;
  const lower = Math.floor(virtualIndex);
  const gamma = virtualIndex - lower;
  const a = sorted[lower] as number;
  const b = sorted[lower + 1] as number;
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/**
 * M for the search path: `int(P80) + 1` of the sampled conversations' token counts (numpy's
 * linear percentile; `int` truncates, and counts are non-negative, so it floors). Always ≥ 1,
 * so the search path never divides by zero. Throws a RangeError on an empty list, where the
 * reference crashes.
 */
export function tokenNormalizerP80(tokenCounts: readonly number[]): number {
  checkCounts('tokenCounts', tokenCounts);
  if (tokenCounts.length === 0) throw new RangeError('tokenCounts must not be empty: P80 needs at least one sampled conversation');
  return Math.trunc(numpyPercentileLinear(tokenCounts, 80)) + 1;
}

/**
 * M for the SFT path: the largest token count among the task's samples that did not overflow.
 * It can be 0 (all kept samples empty); `optimaReward` guards that case.
 *
 * When every sample overflowed, the reference's `max([])` raises ValueError and that task never
 * reaches the rewarded file: it is dropped from SFT selection. This throws a RangeError so the
 * caller can make the same choice explicitly.
 */
export function tokenNormalizerMax(tokenCounts: readonly number[], large: readonly boolean[]): number {
  checkCounts('tokenCounts', tokenCounts);
  if (large.length !== tokenCounts.length) {
    throw new RangeError(`large has ${large.length} entries but tokenCounts has ${tokenCounts.length}`);
  }
  const kept = tokenCounts.filter((_, i) => !large[i]);
  if (kept.length === 0) {
    throw new RangeError('tokenCounts: every sample is "large", so there is no max (the reference drops the task)');
  }
  return kept.reduce((m, c) => (c > m ? c : m), 0);
}
