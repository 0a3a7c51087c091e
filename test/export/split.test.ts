import { describe, expect, it } from 'vitest';
import { fc, test as propTest } from '@fast-check/vitest';
import { splitTrainTest, trainSize } from '../../engine/export/split.ts';
import { Rng } from '../../engine/base/rng.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('trainSize: Optima rounding, train = ⌊(1 − f)·n⌋', () => {
  it.each([
    // [n, f, Python int((1 - f) * n)]
    [10, 0.1, 9],
    [11, 0.1, 9],
    [7, 0.1, 6],
    [25, 0.1, 22],
    [100, 0.02, 98],
    [49, 0.02, 48],
    [50, 0.02, 49],
    [1, 0.02, 0],
    [0, 0.1, 0],
    [5, 0, 5],
    [5, 1, 0],
  ])('n=%i, f=%f -> %i', (n, f, expected) => {
    expect(trainSize(n, f)).toBe(expected);
  });

  it('agrees with the exact rational floor for the reference fractions', () => {
    for (let n = 0; n <= 20_000; n++) {
      expect(trainSize(n, 0.1)).toBe(Math.floor((9 * n) / 10));
      expect(trainSize(n, 0.02)).toBe(Math.floor((98 * n) / 100));
    }
  });

  it.each([-0.1, 1.5, Number.NaN])('rejects test fraction %f', (f) => {
    expect(() => trainSize(10, f)).toThrow(RangeError);
  });

  it('rejects a negative or fractional n', () => {
    expect(() => trainSize(-1, 0.1)).toThrow(RangeError);
    expect(() => trainSize(2.5, 0.1)).toThrow(RangeError);
  });
});

describe('splitTrainTest', () => {
  it('file-order is Optima §2.3: the first 90% in file order train, the last 10% test', () => {
    const items = range(25).map((i) => `pair-${i}`);
    const { train, test } = splitTrainTest(items, 0.1, 7, 'dpo', 'file-order');
    expect(train).toEqual(items.slice(0, 22));
    expect(test).toEqual(items.slice(22));
  });

  it('seeded is the keyed permutation Rng.keyed(seed, key, "split"), cut at the same size', () => {
    const items = range(40);
    const { train, test } = splitTrainTest(items, 0.1, 3, 'dpo');
    const permuted = Rng.keyed(3, 'dpo', 'split').shuffle(items);
    expect(train).toEqual(permuted.slice(0, 36));
    expect(test).toEqual(permuted.slice(36));
    expect(train).not.toEqual(items.slice(0, 36));
  });

  it('seeded is deterministic, and changes with the seed and the key', () => {
    const items = range(50);
    expect(splitTrainTest(items, 0.1, 1, 'dpo')).toEqual(splitTrainTest(items, 0.1, 1, 'dpo'));
    expect(splitTrainTest(items, 0.1, 2, 'dpo').test).not.toEqual(splitTrainTest(items, 0.1, 1, 'dpo').test);
    expect(splitTrainTest(items, 0.1, 1, 'sft').test).not.toEqual(splitTrainTest(items, 0.1, 1, 'dpo').test);
  });

  it('depends only on (seed, position), not on the items themselves', () => {
    const a = range(30).map((i) => ({ id: i, text: `a${i}` }));
    const b = range(30).map((i) => ({ id: i, text: `something else ${i * 7}` }));
    const ids = (s: { train: { id: number }[]; test: { id: number }[] }) => [s.train.map((x) => x.id), s.test.map((x) => x.id)];
    expect(ids(splitTrainTest(a, 0.1, 9, 'dpo'))).toEqual(ids(splitTrainTest(b, 0.1, 9, 'dpo')));
  });

  it('does not modify its input', () => {
    const items = range(20);
    splitTrainTest(items, 0.5, 1, 'k');
    expect(items).toEqual(range(20));
  });

  propTest.prop([
    fc.nat({ max: 400 }),
    fc.oneof(fc.constantFrom(0, 0.02, 0.1, 0.5, 1), fc.double({ min: 0, max: 1, noNaN: true })),
    fc.integer(),
    fc.constantFrom<'seeded' | 'file-order'>('seeded', 'file-order'),
  ])('train ∪ test = input, disjoint, sizes follow the rounding rule', (n, f, seed, mode) => {
    const items = range(n);
    const { train, test } = splitTrainTest(items, f, seed, 'dpo', mode);
    expect(train.length).toBe(Math.floor((1 - f) * n));
    expect(test.length).toBe(n - train.length);
    expect(new Set([...train, ...test]).size).toBe(n);
    expect([...train, ...test].sort((x, y) => x - y)).toEqual(items);
  });
});
