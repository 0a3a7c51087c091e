import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { closeMathWorkers, mathEquivalent } from '../../scenarios/metrics/index.ts';
import { checkInWorker } from '../../scenarios/metrics/math-client.ts';

afterAll(() => closeMathWorkers());

// 10^(10^8) takes the Compute Engine ~17 s to evaluate: the budget must refuse it up front.
const HUGE_A = '10^{100000000}';
const HUGE_B = '10^{100000001}';
const GUARD_MS = 60_000;

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

describe('math budget', () => {
  it.each([
    [HUGE_A, HUGE_B],
    ['\\frac{1}{10^{100000000}}', '0'],
    ['2^{2^{2^{2^{2^2}}}}', '2^{2^{65536}}'],
    ['1000000!', '1'],
    ['\\sum_{n=1}^{10^9} n', '500000000500000000'],
    ['x^{1000000000}', 'x'],
    ['1'.repeat(3000), '2'],
  ])('gives the fixed verdict to %s vs %s without evaluating it', async (a, b) => {
    expect(await checkInWorker(a, b, GUARD_MS)).toBe('over-budget');
    expect(await mathEquivalent(a, b)).toBe(false);
  });

  it.each([
    ['10^{400}', '10^{401}', 'different'],
    ['2^{2^{2^{2^2}}}', '2^{65536}', 'equal'],
    ['10!', '3628800', 'equal'],
    ['2^{10}', '1024', 'equal'],
    ['e^{-\\frac{x^2}{2}}', '\\exp(-x^2/2)', 'equal'],
    ['(x+1)^{10}', '(1+x)^{10}', 'equal'],
  ] as const)('evaluates %s vs %s, inside the budget', async (a, b, verdict) => {
    expect(await checkInWorker(a, b, GUARD_MS)).toBe(verdict);
  });

  it('lets a scalar past the budget equal its textual twin', async () => {
    expect(await mathEquivalent(`\\{${HUGE_A}, 1\\}`, `\\{1, ${HUGE_A}\\}`)).toBe(true);
    expect(await checkInWorker(`(${HUGE_A}, 1)`, `(${HUGE_B}, 1)`, GUARD_MS)).toBe('over-budget');
  });

  it('gives the same verdicts every time, in any order, on fresh workers', async () => {
    const pairs: [string, string][] = [
      ['x^2-1', '(x-1)(x+1)'],
      ['\\frac{1}{3}', '0.3333'],
      ['e^{i\\pi}', '-1'],
      ['\\ln(e^2)', '2'],
      [HUGE_A, HUGE_B],
      ['10^{99000}', '10^{99001}'],
    ];
    const verdicts = async (order: [string, string][]) => {
      const out = new Map<string, string>();
      for (const [a, b] of order) out.set(`${a} ${b}`, await checkInWorker(a, b, GUARD_MS));
      await closeMathWorkers();
      return [...out].sort();
    };
    const forward = await verdicts(pairs);
    expect(await verdicts([...pairs].reverse())).toEqual(forward);
    expect(await verdicts([...pairs, ...pairs])).toEqual(forward);
    expect(Object.fromEntries(forward)).toEqual({
      'x^2-1 (x-1)(x+1)': 'equal',
      '\\frac{1}{3} 0.3333': 'different',
      'e^{i\\pi} -1': 'equal',
      '\\ln(e^2) 2': 'equal',
      [`${HUGE_A} ${HUGE_B}`]: 'over-budget',
      '10^{99000} 10^{99001}': 'different',
    });
  });
});

describe('math worker lifecycle', () => {
  it('rejects a non-positive crash guard', async () => {
    await expect(mathEquivalent('1', '2', { timeoutMs: 0 })).rejects.toThrow(RangeError);
  });

  it('closeMathWorkers rejects pairs still queued or in flight, naming them; later calls start a new worker', async () => {
    expect(await checkInWorker('\\frac{1}{2}', '0.5', GUARD_MS)).toBe('equal');
    const first = expect(checkInWorker('\\sqrt{8}', '2\\sqrt{2}', GUARD_MS)).rejects.toThrow('MATH equivalence of "\\\\sqrt{8}" and "2\\\\sqrt{2}": the math worker was closed');
    const second = expect(checkInWorker('\\sqrt{12}', '2\\sqrt{3}', GUARD_MS)).rejects.toThrow(/closed/);
    await closeMathWorkers();
    await first;
    await second;
    expect(await mathEquivalent('\\frac{14}{3}', '4.\\overline{6}')).toBe(false);
    expect(await mathEquivalent('3\\sqrt{13}', '\\sqrt{117}')).toBe(true);
  });

  it('does not keep a process alive once its pairs are checked, without closeMathWorkers', () => {
    const metric = new URL('../../scenarios/metrics/index.ts', import.meta.url).href;
    const code = `import(${JSON.stringify(metric)}).then(async (m) => console.log(await m.mathEquivalent('3\\\\sqrt{13}', '\\\\sqrt{117}')));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8', timeout: 60_000 });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('true');
    expect(child.status).toBe(0);
  }, 70_000);
});
