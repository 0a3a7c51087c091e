/**
 * Train/test splits of the exported datasets.
 *
 * Rounding (both modes): train gets ⌊(1 − f)·n⌋ items and test the other n − ⌊(1 − f)·n⌋, with the
 * product taken in IEEE doubles. That is Optima's `int(0.9 * len(data))` (DPO) and
 * `int(0.98 * len(data))` (SFT) bit for bit: `1 - 0.1 === 0.9` and `1 - 0.02 === 0.98` in doubles,
 * and JS and Python multiply doubles the same way (thunlp/Optima dataloader/dataloader.py).
 */
import { Rng, type KeyPart } from '../base/rng.ts';

/**
 * `seeded` (the dits default): a keyed permutation, then the first ⌊(1 − f)·n⌋ permuted items are
 * train. `file-order` (Optima §2.3): the first ⌊(1 − f)·n⌋ items in input order are train.
 */
export type SplitMode = 'seeded' | 'file-order';

export interface Split<T> {
  train: T[];
  test: T[];
}

/** How many of n items go to train when a fraction f goes to test. */
export function trainSize(n: number, testFraction: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`trainSize needs a whole n >= 0, got ${n}`);
  if (!(testFraction >= 0 && testFraction <= 1)) throw new RangeError(`testFraction must be in [0, 1], got ${testFraction}`);
  return Math.floor((1 - testFraction) * n);
}

/**
 * Splits items into train and test. The result depends only on (seed, key, items in order), never
 * on the items' content, so the same pairs always split the same way. Seeded splits keep the
 * permuted order (as Optima's SFT split keeps its shuffled order).
 */
export function splitTrainTest<T>(
  items: readonly T[],
  testFraction: number,
  seed: number,
  key: KeyPart,
  mode: SplitMode = 'seeded',
): Split<T> {
  const cut = trainSize(items.length, testFraction);
  const ordered = mode === 'seeded' ? Rng.keyed(seed, key, 'split').shuffle(items) : items.slice();
  return { train: ordered.slice(0, cut), test: ordered.slice(cut) };
}
