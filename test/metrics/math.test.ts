import { afterAll, describe, expect, it } from 'vitest';
import { closeMathWorkers, mathEquivalent } from '../../scenarios/metrics/index.ts';
import { checkInWorker } from '../../scenarios/metrics/math-client.ts';

afterAll(() => closeMathWorkers());

// 10^(10^8) takes the Compute Engine ~17 s to evaluate: long enough that any limit below a
// few seconds must cut it off.
const SLOW_A = '10^{100000000}';
const SLOW_B = '10^{100000001}';

describe('mathEquivalent: required equivalences', () => {
  it.each([
    ['\\frac{14}{3}', '14/3'],
    ['\\dfrac{14}{3}', '\\frac{14}{3}'],
    ['\\dfrac{14}{3}', '14/3'],
    ['\\left( 3, \\frac{\\pi}{2} \\right)', '(3,\\pi/2)'],
    ['90^\\circ', '90'],
    ['3\\sqrt{13}', '\\sqrt{117}'],
    ['1,000', '1000'],
    ['\\text{Evelyn}', 'Evelyn'],
  ])('%s = %s', async (a, b) => {
    expect(await mathEquivalent(a, b)).toBe(true);
    expect(await mathEquivalent(b, a)).toBe(true);
  });

  it('rejects \\frac{3}{56} vs \\frac{3}{65}', async () => {
    expect(await mathEquivalent('\\frac{3}{56}', '\\frac{3}{65}')).toBe(false);
  });
});

describe('mathEquivalent: more equivalences', () => {
  it.each([
    ['0.5', '\\frac12'],
    ['\\tfrac{1}{2}', '0.5'],
    ['x+1', '1+x'],
    ['(x+1)^2', 'x^2+2x+1'], // needs evaluation at probe points, not just canonical forms
    ['\\frac{1}{\\sqrt{2}}', '\\frac{\\sqrt{2}}{2}'],
    ['\\frac{\\sqrt{3}}{2}', '\\sin(\\pi/3)'],
    ['2\\pi', '\\pi\\cdot 2'],
    ['\\{1,2\\}', '\\{2,1\\}'], // sets ignore order
    ['2, -3', '-3, 2'], // "all solutions, separated by commas"
    ['[2,5)', '\\left[2, 5\\right)'],
    ['(-\\infty, 3]', '\\left(-\\infty, 3\\right]'],
    ['(-\\infty,2)\\cup(3,\\infty)', '(3,\\infty)\\cup(-\\infty,2)'],
    ['\\left( 1, \\frac{1}{2} \\right)', '(1, 0.5)'],
    ['1,000.5', '1000.5'],
    ['\\$1,000', '1000'],
    ['10\\%', '10'],
    ['x < 3', '3 > x'],
    ['\\begin{pmatrix}1\\\\2\\end{pmatrix}', '\\begin{pmatrix}1\\\\\\frac{4}{2}\\end{pmatrix}'],
    ['5.', '5'],
    ['\\text{(C)}', '(C)'],
    ['\\textbf{Yes}', 'yes'], // the reference lower-cases both answers
    ['x = \\frac{3}{4}', '0.75'], // text after the last "="
  ])('%s = %s', async (a, b) => {
    expect(await mathEquivalent(a, b)).toBe(true);
  });
});

describe('mathEquivalent: rejections', () => {
  it.each([
    ['(1,2)', '(2,1)'], // tuples keep their order
    ['[2,5)', '(2,5]'], // interval ends matter
    ['(1,2)', '1,2'], // a tuple is not a bare list
    ['\\{1,2\\}', '\\{1,3\\}'],
    ['\\{1,2\\}', '\\{1,2,3\\}'],
    ['0.333', '\\frac13'], // no rounding tolerance beyond 1e-9 relative
    ['\\pi', '3.14159'],
    ['\\sqrt{x^2}', 'x'], // probes of both signs
    ['x+1', 'y+1'],
    ['Evelyn', 'Evenly'], // words are not products of letters
    ['\\frac{1}{0}', '\\frac{2}{0}'], // undefined is not equal to anything
    ['10^{400}', '10^{401}'], // beyond double range, still told apart
    ['\\begin{pmatrix}1\\\\2\\end{pmatrix}', '\\begin{pmatrix}1\\\\3\\end{pmatrix}'],
    ['x < 3', 'x \\le 3'],
  ])('%s ≠ %s', async (a, b) => {
    expect(await mathEquivalent(a, b)).toBe(false);
  });

  it.each([
    ['\\frac{1}{', '\\frac{1}{2}'],
    ['\\binom{5}{2}', '10'], // the engine cannot read \binom
    ['', '0'],
    ['5', ''],
  ])('unparseable or empty counts as wrong: %j vs %j', async (a, b) => {
    expect(await mathEquivalent(a, b)).toBe(false);
  });
});

describe('math worker time limit', () => {
  it('cuts a pathological pair off at the limit, counts it wrong, and keeps working', async () => {
    const t0 = performance.now();
    expect(await mathEquivalent(SLOW_A, SLOW_B, { timeoutMs: 300 })).toBe(false);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(5_000);
    // The next pair gets a fresh worker.
    expect(await mathEquivalent('(x+1)^2', 'x^2+2x+1')).toBe(true);
    expect(await mathEquivalent('\\frac{3}{56}', '\\frac{3}{65}')).toBe(false);
  });

  it('reports the cut-off as a timeout, and a 1 ms limit on the slow pair too', async () => {
    expect(await checkInWorker(SLOW_A, SLOW_B, 1)).toBe('timeout');
    expect(await mathEquivalent(SLOW_A, SLOW_B, { timeoutMs: 1 })).toBe(false);
    expect(await checkInWorker('\\frac{1}{2}', '0.5', 10_000)).toBe('equal');
  });

  it('times pairs from dispatch: a pair queued behind a slow one still gets its own limit', async () => {
    // Timed from the call, `next` would be out of time before it started (1500 ms > 1000 ms).
    const slow = mathEquivalent(SLOW_A, SLOW_B, { timeoutMs: 1500 });
    const next = mathEquivalent('\\sqrt{8}', '2\\sqrt{2}', { timeoutMs: 1000 });
    expect(await slow).toBe(false);
    expect(await next).toBe(true);
  });

  it('rejects a non-positive limit', async () => {
    await expect(mathEquivalent('1', '2', { timeoutMs: 0 })).rejects.toThrow(RangeError);
  });

  it('closeMathWorkers rejects pairs still pending; later calls start a new worker', async () => {
    const pending = expect(checkInWorker(SLOW_A, SLOW_B, 10_000)).rejects.toThrow(/closed/);
    await new Promise((r) => setTimeout(r, 50));
    await closeMathWorkers();
    await pending;
    expect(await mathEquivalent('\\frac{14}{3}', '4.\\overline{6}')).toBe(false);
    expect(await mathEquivalent('3\\sqrt{13}', '\\sqrt{117}')).toBe(true);
  });

  it('is deterministic: the same pairs give the same verdicts in any order', async () => {
    const pairs: [string, string][] = [
      ['x^2-1', '(x-1)(x+1)'],
      ['\\frac{1}{3}', '0.3333'],
      ['e^{i\\pi}', '-1'],
      ['\\ln(e^2)', '2'],
    ];
    const forward = [];
    for (const [a, b] of pairs) forward.push(await mathEquivalent(a, b));
    await closeMathWorkers(); // a fresh worker for the second pass
    const backward = [];
    for (const [a, b] of [...pairs].reverse()) backward.push(await mathEquivalent(a, b));
    expect(backward.reverse()).toEqual(forward);
    expect(forward).toEqual([true, false, true, true]);
  });
});
