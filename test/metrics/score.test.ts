import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { closeMathWorkers, exactMatch, f1Score, scoreAnswer } from '../../scenarios/metrics/index.ts';

afterAll(() => closeMathWorkers());

describe('scoreAnswer', () => {
  it('takes the max over gold aliases', async () => {
    // "the eiffel tower" scores 2/3 against "Eiffel Tower" and 1 against the alias.
    expect(await scoreAnswer('f1', 'the eiffel tower', ['Eiffel Tower', 'The Eiffel Tower'])).toBe(1);
    expect(await scoreAnswer('f1', 'New York City', ['Big Apple', 'new york'])).toBeCloseTo(0.8, 12);
    expect(await scoreAnswer('em', 'nyc', ['New York', 'NYC'])).toBe(1);
    expect(await scoreAnswer('math', '\\frac{1}{2}', ['0.25', '0.5'])).toBe(1);
  });

  it('gives 0 for an empty or blank prediction, whatever the golds', async () => {
    for (const metric of ['f1', 'em', 'math'] as const) {
      expect(await scoreAnswer(metric, '', ['x', ''])).toBe(0);
      expect(await scoreAnswer(metric, '  \n', [''])).toBe(0);
    }
  });

  it('gives 0 for an empty alias list', async () => {
    expect(await scoreAnswer('f1', 'Paris', [])).toBe(0);
    expect(await scoreAnswer('math', '5', [])).toBe(0);
  });

  it('scores math pairs 1/0', async () => {
    expect(await scoreAnswer('math', '\\dfrac{14}{3}', ['\\frac{14}{3}'])).toBe(1);
    expect(await scoreAnswer('math', '\\frac{3}{56}', ['\\frac{3}{65}'])).toBe(0);
  });

  it('scores a math pair over the input budget 0 at once, whatever the crash guard allows', async () => {
    expect(await scoreAnswer('math', '10^{100000000}', ['10^{100000001}'], { timeoutMs: 60_000 })).toBe(0);
  });

  it('scores unicode answers', async () => {
    expect(await scoreAnswer('em', 'ZÜRICH', ['Zurich', 'Zürich'])).toBe(1);
    expect(await scoreAnswer('f1', 'café au lait', ['Café'])).toBeCloseTo(4 / 7, 12);
  });

  it('rejects an unknown metric', async () => {
    await expect(scoreAnswer('bleu' as never, 'a', ['a'])).rejects.toThrow(/unknown metric/);
  });
});

describe('scoreAnswer properties', () => {
  const text = fc.string({ unit: 'grapheme', minLength: 1 }).filter((s) => s.trim() !== '');
  const golds = fc.array(fc.string({ unit: 'grapheme' }), { maxLength: 4 });

  test.prop([text, golds])('f1 and em are the max of the per-alias scores', async (pred, gs) => {
    expect(await scoreAnswer('f1', pred, gs)).toBe(Math.max(0, ...gs.map((g) => f1Score(pred, g))));
    expect(await scoreAnswer('em', pred, gs)).toBe(Math.max(0, ...gs.map((g) => exactMatch(pred, g))));
  });
});
