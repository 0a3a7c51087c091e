import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { f1Score } from '../../scenarios/metrics/index.ts';
import { pyLower, pyStrip } from '../../scenarios/metrics/pystr.ts';

// Expected values are worked out by hand from the Llama-3 pieces noted beside each case
// (Ġ marks a leading space). F1 = 2PR/(P+R) = 2·tp/(|pred|+|gold|).
describe('f1Score on Llama-3 tokens', () => {
  it('is 1 for the same text up to case and outer whitespace', () => {
    expect(f1Score('  Paris ', 'paris')).toBe(1);
  });

  it('counts BPE pieces, not words: "the eiffel tower" vs "eiffel tower" is 2/3', () => {
    // [the, Ġe, iff, el, Ġtower] vs [e, iff, el, Ġtower]: "Ġe" ≠ "e", tp = 3, P = 3/5, R = 3/4.
    expect(f1Score('the eiffel tower', 'Eiffel Tower')).toBeCloseTo(2 / 3, 12);
  });

  it('partial answers: "New York City" vs "new york" is 0.8', () => {
    // [new, Ġyork, Ġcity] vs [new, Ġyork]: tp = 2, P = 2/3, R = 1.
    expect(f1Score('New York City', 'new york')).toBeCloseTo(0.8, 12);
  });

  it('"Barack Obama" vs "Obama" is 1/3', () => {
    // [bar, ack, Ġob, ama] vs [ob, ama]: only "ama" matches, tp = 1, P = 1/4, R = 1/2.
    expect(f1Score('Barack Obama', 'Obama')).toBeCloseTo(1 / 3, 12);
  });

  it('uses multisets: "the the the" vs "the" is 1/2', () => {
    // [the, Ġthe, Ġthe] vs [the]: tp = 1, P = 1/3, R = 1.
    expect(f1Score('the the the', 'the')).toBeCloseTo(0.5, 12);
  });

  it('keeps punctuation (no SQuAD normalisation): "Paris, France" vs "Paris" is 2/3', () => {
    // [par, is, ",", Ġfrance] vs [par, is]: tp = 2, P = 1/2, R = 1.
    expect(f1Score('Paris, France', 'Paris')).toBeCloseTo(2 / 3, 12);
  });

  it('does not drop number commas: "1,000" vs "1000" is 0', () => {
    // [1, ",", 000] vs [100, 0]
    expect(f1Score('1,000', '1000')).toBe(0);
  });

  describe('unicode', () => {
    it('"café au lait" vs "Café" is 4/7', () => {
      // [ca, fÃ©, Ġau, Ġla, it] vs [ca, fÃ©]: tp = 2, P = 2/5, R = 1.
      expect(f1Score('café au lait', 'Café')).toBeCloseTo(4 / 7, 12);
    });

    it('"naïve" vs "naive" is 0.4', () => {
      // [na, Ã¯, ve] vs [na, ive]: tp = 1, P = 1/3, R = 1/2.
      expect(f1Score('naïve', 'naive')).toBeCloseTo(0.4, 12);
    });

    it('"東京都" vs "東京" is 0: the BPE merges differ', () => {
      // [æĿ±, äº¬éĥ½] vs [æĿ±äº¬]
      expect(f1Score('東京都', '東京')).toBe(0);
    });
  });

  describe('the reference .strip("m=").strip("m = ") quirk (character sets)', () => {
    it('strips a leading/trailing "m" or "=": "Tom" scores as "to"', () => {
      expect(f1Score('Tom', 'to')).toBe(1);
      expect(f1Score('Moscow', 'oscow')).toBe(1);
      expect(f1Score('m = 5', '5')).toBe(1);
    });

    it('can be turned off', () => {
      expect(f1Score('Tom', 'to', { referenceStrip: false })).toBe(0);
      // [mos, cow] vs [os, cow]: tp = 1, P = R = 1/2.
      expect(f1Score('Moscow', 'oscow', { referenceStrip: false })).toBeCloseTo(0.5, 12);
    });
  });

  describe('empty inputs: 0 whenever either side has no tokens (both empty included)', () => {
    it.each([
      ['', 'Paris'],
      ['Paris', ''],
      ['', ''],
      ['   \n', 'Paris'],
      ['m', 'm'], // the quirk strips both to ""
    ])('f1(%j, %j) = 0', (pred, gold) => {
      expect(f1Score(pred, gold)).toBe(0);
    });
  });
});

describe('f1Score properties', () => {
  test.prop([fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' })])('is symmetric and in [0, 1]', (a, b) => {
    const ab = f1Score(a, b);
    expect(ab).toBe(f1Score(b, a));
    expect(ab).toBeGreaterThanOrEqual(0);
    expect(ab).toBeLessThanOrEqual(1);
  });

  test.prop([fc.string({ unit: 'grapheme' })])('f1(x, x) is 1 exactly when x keeps a token after stripping', (x) => {
    const stripped = pyStrip(pyStrip(pyStrip(pyLower(x)), 'm='), 'm = ');
    expect(f1Score(x, x)).toBe(stripped === '' ? 0 : 1);
  });
});
