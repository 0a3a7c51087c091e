import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { exactMatch } from '../../scenarios/metrics/index.ts';
import { pyStrip } from '../../scenarios/metrics/pystr.ts';

describe('exactMatch: gold.strip().lower() == pred.strip().strip("\\\\").lower()', () => {
  it('ignores case and outer whitespace', () => {
    expect(exactMatch('  PARIS\n', 'paris')).toBe(1);
    expect(exactMatch('Paris', ' Paris\t')).toBe(1);
  });

  it('strips backslashes from both ends of the prediction only', () => {
    expect(exactMatch('\\\\18\\', '18')).toBe(1);
    expect(exactMatch('18', '\\18')).toBe(0);
  });

  it('strips whitespace before backslashes, never after (Python call order)', () => {
    expect(exactMatch(' \\18\\ ', '18')).toBe(1);
    expect(exactMatch('\\ 18', '18')).toBe(0);
  });

  it('uses Python whitespace: U+0085 and U+001C are stripped, U+FEFF is not', () => {
    expect(exactMatch('\u0085 18\u001c', '18')).toBe(1);
    expect(exactMatch('\ufeff18', '18')).toBe(0);
  });

  it('compares whole strings', () => {
    expect(exactMatch('18 apples', '18')).toBe(0);
    expect(exactMatch('1,000', '1000')).toBe(0);
  });

  it('handles unicode case', () => {
    expect(exactMatch('ZÜRICH', 'zürich')).toBe(1);
    expect(exactMatch('ΟΔΟΣ', 'οδο\u03c2')).toBe(1); // final sigma ς, as Python's lower() gives
  });

  it('matches an empty prediction only to an empty gold (scoreAnswer gives 0 for empty preds)', () => {
    expect(exactMatch('', 'x')).toBe(0);
    expect(exactMatch('', '')).toBe(1);
  });
});

describe('exactMatch properties', () => {
  const ascii = fc.stringMatching(/^[A-Za-z0-9 .,'-]{0,20}$/);

  test.prop([ascii])('is case-insensitive', (s) => {
    expect(exactMatch(s.toUpperCase(), s.toLowerCase())).toBe(1);
    expect(exactMatch(s.toLowerCase(), s.toUpperCase())).toBe(1);
  });

  test.prop([fc.string({ unit: 'grapheme' })])('is reflexive unless the stripped text has a backslash at an end', (s) => {
    const t = pyStrip(s);
    const backslashEnd = t.startsWith('\\') || t.endsWith('\\');
    expect(exactMatch(s, s)).toBe(backslashEnd ? 0 : 1);
  });
});
