import { describe, expect, it } from 'vitest';
import { extractAnswer, extractBoxed, extractTagged, normalizeFinalAnswer } from '../scenarios/answers.ts';

describe('extractTagged (last <A>…</A match, Python regex semantics)', () => {
  it('takes the last match', () => {
    expect(extractTagged('Alice: <A>Paris</A> ... Bob: no, <A>Lyon</A>')).toBe('Lyon');
  });

  it('needs only "</A" to close, as r"<A>(.*?)</A" does', () => {
    expect(extractTagged('answer <A>Paris</A')).toBe('Paris');
    expect(extractTagged('answer <A>Paris</Answer>')).toBe('Paris');
  });

  it('never matches across a newline: a tag split by "\\n" is no answer', () => {
    expect(extractTagged('<A>New\nYork</A>')).toBe('');
    // The earlier single-line tag is then the last match.
    expect(extractTagged('<A>Boston</A> then <A>New\nYork</A>')).toBe('Boston');
  });

  it('matches across "\\r" and U+2028, which Python\'s "." accepts (JS\'s does not)', () => {
    expect(extractTagged('<A>New\rYork</A>')).toBe('New\rYork');
    expect(extractTagged('<A>a\u2028b</A>')).toBe('a\u2028b');
  });

  it('is non-greedy from the first <A> of a match', () => {
    expect(extractTagged('<A><A>x</A>')).toBe('<A>x');
  });

  it('keeps unicode and surrounding spaces; extractAnswer trims', () => {
    expect(extractTagged('<A> Zürich 😀 </A>')).toBe(' Zürich 😀 ');
    expect(extractAnswer('Bob: <A> Zürich 😀 </A>', 'tag')).toBe('Zürich 😀');
  });

  it('gives "" without a tag or with an empty one', () => {
    expect(extractTagged('I think it is Paris')).toBe('');
    expect(extractTagged('<A></A>')).toBe('');
    expect(extractAnswer('<A>unclosed', 'tag')).toBe('');
  });
});

describe('extractBoxed (last \\boxed{, brace-matched)', () => {
  it('handles nested braces', () => {
    expect(extractBoxed('so $\\boxed{\\frac{1}{\\sqrt{2}}}$.')).toBe('\\frac{1}{\\sqrt{2}}');
  });

  it('takes the last box', () => {
    expect(extractBoxed('\\boxed{1} and finally \\boxed{2}')).toBe('2');
  });

  it('gives "" when the last box never closes, even if an earlier one did', () => {
    expect(extractBoxed('\\boxed{\\frac{1}{2}')).toBe('');
    expect(extractBoxed('\\boxed{3} but \\boxed{\\frac{1}{2}')).toBe('');
  });

  it('gives "" without a box', () => {
    expect(extractBoxed('the answer is 5')).toBe('');
    expect(extractAnswer('the answer is 5', 'boxed')).toBe('');
  });

  it('normalises the box content in extractAnswer', () => {
    expect(extractAnswer('Total: $\\boxed{1,000}$ dollars', 'boxed')).toBe('1000');
    expect(extractAnswer('$\\boxed{x = \\dfrac{3}{4}}$', 'boxed')).toBe('\\dfrac{3}{4}');
  });
});

describe('normalizeFinalAnswer (Minerva)', () => {
  it.each([
    ['1,000', '1000'],
    ['1,000,000', '1000000'],
    ['\\$1,000', '1000'],
    ['١,٢٣٤', '١٢٣٤'], // Python's isdigit() accepts any Unicode decimal digit
  ])('drops number commas: %s -> %s', (input, expected) => {
    expect(normalizeFinalAnswer(input)).toBe(expected);
  });

  it('keeps commas that are not in a plain number', () => {
    expect(normalizeFinalAnswer('(1, 2)')).toBe('(1,2)');
    expect(normalizeFinalAnswer('1,000.5')).toBe('1,000.5');
  });

  it('keeps only the text after the last "="', () => {
    expect(normalizeFinalAnswer('x = 2y = 5')).toBe('5');
    expect(normalizeFinalAnswer('a=')).toBe('');
  });

  it.each([
    ['5 \\text{ cm}', '5'],
    ['12 inches', '12'],
    ['3 hours', '3'],
    ['90^\\circ', '90'],
    ['90^{\\circ}', '90'],
    ['\\$5', '5'],
    ['15 \\mbox{ points}', '15'],
  ])('removes units: %s -> %s', (input, expected) => {
    expect(normalizeFinalAnswer(input)).toBe(expected);
  });

  it.each([
    ['\\text{Evelyn}', 'Evelyn'],
    ['\\textbf{(C)}', '(C)'],
    ['\\overline{3}', '3'],
    ['$\\frac{1}{2}$', '\\frac{1}{2}'],
    ['The answer is $x^2$ here', 'x^2'],
  ])('unwraps markup and dollars: %s -> %s', (input, expected) => {
    expect(normalizeFinalAnswer(input)).toBe(expected);
  });

  it.each([
    ['\\fracab', '\\frac{a}{b}'],
    ['\\frac12', '\\frac{1}{2}'],
    ['\\fracabc', '\\frac{a}{b}c'],
    ['\\sqrt2', '\\sqrt{2}'],
    ['\\sqrtab', '\\sqrt{a}b'],
    ['\\frac{14}{3}', '\\frac{14}{3}'],
  ])('expands frac/sqrt shorthand: %s -> %s', (input, expected) => {
    expect(normalizeFinalAnswer(input)).toBe(expected);
  });

  it('lets "." match "\\r" as Python does (dollar extraction runs to the end of the line)', () => {
    expect(normalizeFinalAnswer('so$5$\rthen')).toBe('5');
  });

  it('never splits an astral character in the frac shorthand', () => {
    expect(normalizeFinalAnswer('\\frac😀2')).toBe('\\frac{😀}{2}');
  });

  it('reproduces the reference quirk of removing "ft" inside commands', () => {
    // Faithful to Minerva; the MATH check (math-worker.mjs) repairs these before parsing.
    expect(normalizeFinalAnswer('\\left( 3, \\frac{\\pi}{2} \\right)')).toBe('\\le(3,\\frac{\\pi}{2}\\right)');
    expect(normalizeFinalAnswer('(-\\infty, 2]')).toBe('(-\\iny,2]');
  });
});
