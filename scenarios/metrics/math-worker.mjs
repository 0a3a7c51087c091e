// @ts-check
/**
 * MATH answer equivalence (§1.3), in a worker thread so that a blocked event loop here never
 * stalls the engine, and a pair that outruns the crash guard can be stopped by terminating the
 * thread. It sits beside its metric, not in workers/: scenarios/ may not import from workers/.
 *
 * Plain JS because the worker starts without the TypeScript loader. The parent calls
 * `check(a, b)` through Comlink with two Minerva-normalised answers and gets a verdict:
 * 'equal', 'different', or 'over-budget' (see BUDGET below and math.ts).
 *
 * The reference (sympy `parse_latex`, then `simplify(a - b) == 0`) cannot read tuples or
 * intervals; here they are compared element-wise, and scalars by exact numeric evaluation or,
 * when free variables are present, by evaluation at fixed probe points.
 */
import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
// comlink has no exports map; its ESM adapter is the one file Node resolves as a module.
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';

// The Compute Engine draws on Math.random in a few places (primality witnesses, generated
// names). A fixed-seed generator, reset before every request, keeps each verdict a pure
// function of its two inputs. This replaces Math.random in this worker's isolate only.
let state = 0;
function reseed() {
  state = 0x2545f491;
}
Math.random = () => {
  // mulberry32
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
reseed();

// Imported after Math.random is replaced, so the engine only ever sees the seeded one.
const { ComputeEngine } = await import('@cortex-js/compute-engine');
const ce = new ComputeEngine();

/** Relative and absolute tolerances for numeric values (the engine's own N() is not exact). */
const REL_TOL = 1e-9;
const ABS_TOL = 1e-12;
/** Values given to free variables: arbitrary, of both signs (so √(x²) ≠ x), none special. */
const PROBES = [0.6180417, -1.2736093, 2.1491357, -0.3719242, 1.8827561, 2.6053817, -2.0977119];
const PROBE_ROUNDS = 3;
const MAX_NESTING = 8;
/** Function names a model may write without a backslash; anything else of 3+ letters is a word. */
const BARE_FUNCTIONS = /(?<![\\a-zA-Z])(arcsin|arccos|arctan|sinh|cosh|tanh|sin|cos|tan|cot|sec|csc|log|ln|exp)(?![a-zA-Z])/g;
const RELATIONS = new Set(['Less', 'LessEqual', 'Greater', 'GreaterEqual', 'Equal', 'NotEqual']);
const COLLECTIONS = new Set(['List', 'Tuple', 'Matrix', 'Set', 'Sequence', 'Pair', 'Triple', 'Single']);

/**
 * BUDGET. The Compute Engine computes exact values (10^{10^8} has 10^8 digits: ~17 s) and its
 * own limits do not help: in 0.26 `timeLimit` is wall-clock and never armed, `iterationLimit`
 * only bounds Loop and collection iteration, `recursionLimit` is unused. So the cost of a
 * scalar is bounded from its input, before the engine evaluates anything, and a scalar past
 * the bound is equal only to its textual twin. The bound, on the non-canonical parse:
 *  - each side is at most MAX_INPUT_CHARS, each scalar at most MAX_SCALAR_CHARS, the parse at
 *    most MAX_DEPTH deep;
 *  - work = the sum over nodes of an upper bound on the digits of the node's exact value, times
 *    the terms of an enclosing sum or product, at most MAX_WORK digits.
 * Ordinary answers sit far below every limit (10^{400} costs 400; a 3x3 matrix of fractions
 * about 60), and a scalar at the limit takes milliseconds, not seconds.
 */
const MAX_INPUT_CHARS = 10_000;
const MAX_SCALAR_CHARS = 2_000;
const MAX_DEPTH = 64;
const MAX_WORK = 100_000;
/** Above every probe value and every named constant the engine knows (π, e). */
const SYMBOL_BOUND = 4;
const INFINITIES = new Set(['PositiveInfinity', 'NegativeInfinity', 'ComplexInfinity']);
/** Numeric integration and limits evaluate their body many times; the engine does not say how often. */
const SAMPLED = new Set(['Integrate', 'NIntegrate', 'Limit', 'NLimit']);
const SAMPLES = 1_000;

class OverBudget extends Error {}

/** Digits of a numeric literal's exact value: mantissa digits plus the decimal exponent. */
function literalDigits(text) {
  const m = /^[+-]?(\d*)\.?(\d*)(?:e([+-]?\d+))?$/i.exec(text);
  if (!m) return text.length;
  return Math.max(1, (m[1] ?? '').length + (m[2] ?? '').length + Math.abs(Number(m[3] ?? 0)));
}

/**
 * {digits, bound, work} of a MathJSON node: an upper bound on the digits of its exact value,
 * one on its magnitude (what an exponent, a factorial or a summation range is charged by),
 * and the work of computing it. Throws OverBudget as soon as a limit is passed.
 * @returns {{ digits: number, bound: number, work: number }}
 */
function cost(node, depth) {
  if (depth > MAX_DEPTH) throw new OverBudget();
  if (typeof node === 'number') return leaf(Number.isFinite(node) ? literalDigits(String(node)) : 1, Math.abs(node));
  if (typeof node === 'string') return leaf(1, INFINITIES.has(node) ? Infinity : SYMBOL_BOUND);
  if (!Array.isArray(node)) {
    if (node && typeof node.num === 'string') return leaf(literalDigits(node.num), Math.abs(Number(node.num)));
    if (node && Array.isArray(node.fn)) return cost(node.fn, depth);
    return leaf(1, SYMBOL_BOUND);
  }
  const [head, ...args] = node;
  if (head === 'Sum' || head === 'Product' || SAMPLED.has(head)) return iterated(head, args, depth);
  const c = args.map((arg) => cost(arg, depth + 1));
  const work = c.reduce((w, x) => w + x.work, 0);
  const digitSum = c.reduce((d, x) => d + x.digits, 0) + 1;
  const [p, q] = c;
  let digits = digitSum;
  let bound = 10 ** digitSum;
  switch (head) {
    case 'Negate':
    case 'Abs':
    case 'Delimiter':
      if (c.length >= 1 && p) bound = p.bound;
      break;
    case 'Add':
    case 'Subtract':
      bound = c.reduce((b, x) => b + x.bound, 0);
      break;
    case 'Multiply':
    case 'InvisibleOperator':
      bound = c.reduce((b, x) => b * Math.max(1, x.bound), 1);
      break;
    case 'Divide':
    case 'Rational':
      // A nonzero quotient's denominator of d digits is at least 10^-d.
      if (p && q) bound = Math.max(1, p.bound) * 10 ** q.digits;
      break;
    case 'Power':
      if (p && q) {
        // An integer's digits grow by its log per unit of exponent (10^400 has 401, not 800).
        const perUnit = isIntegerLiteral(args[0]) ? Math.log10(Math.max(p.bound, 2)) : p.digits;
        digits = perUnit * Math.max(1, q.bound) + q.digits + 1;
        bound = Math.max(1, p.bound) ** q.bound;
      }
      break;
    case 'Sqrt':
    case 'Root':
      if (p) bound = Math.max(1, p.bound);
      break;
    case 'Factorial':
    case 'Factorial2':
    case 'Gamma':
      if (p) {
        digits = p.bound * Math.log10(Math.max(p.bound, 10)) + p.digits;
        bound = 10 ** digits;
      }
      break;
  }
  return charge(digits, bound, work);
}

function isIntegerLiteral(node) {
  return typeof node === 'number' ? Number.isInteger(node) : typeof node?.num === 'string' && /^[+-]?\d+$/.test(node.num);
}

function leaf(digits, bound) {
  return charge(digits, bound, 0);
}

function charge(digits, bound, work) {
  const total = work + digits;
  if (!(total <= MAX_WORK)) throw new OverBudget();
  return { digits, bound: Number.isNaN(bound) ? Infinity : bound, work: total };
}

/** Sum, Product, …: the body is paid for once per term (a range's terms are bounded by its ends). */
function iterated(head, [body, ...limits], depth) {
  let terms = SAMPLED.has(head) ? SAMPLES : 1;
  let work = 0;
  for (const limit of limits) {
    const ends = Array.isArray(limit) && limit[0] === 'Tuple' ? limit.slice(2) : [];
    const c = ends.map((end) => cost(end, depth + 2));
    work += c.reduce((w, x) => w + x.work, 0);
    if (!SAMPLED.has(head)) terms *= c.length === 2 ? c.reduce((t, x) => t + x.bound, 1) : Infinity;
  }
  const b = cost(body, depth + 1);
  return charge(b.digits * terms, Infinity, work + b.work * terms);
}

/** Throws OverBudget when `s` is past the budget, before the engine evaluates anything. */
function checkBudget(s) {
  if (s.length > MAX_SCALAR_CHARS) throw new OverBudget();
  cost(ce.parse(s, { canonical: false }).json, 0);
}

/** LaTeX clean-up the Compute Engine needs (it rejects \dfrac, \left., \$, \displaystyle, …). */
function clean(input) {
  let s = input;
  // Minerva's unit removal deletes every "ft", "gm", …, even inside commands: `\left` becomes
  // `\le`, `\infty` becomes `\iny`, `\sigma` becomes `\sia`. Undo that here (the reference
  // leaves them broken, and sympy then fails); a `\le` before an opening delimiter is a
  // mangled `\left` when a `\right` is present.
  if (/\\right(?![a-zA-Z])/.test(s)) s = s.replace(/\\le(?=\s*(?:[([|.]|\\\{))/g, '\\left');
  s = s.replace(/\\iny(?![a-zA-Z])/g, '\\infty').replace(/\\sia(?![a-zA-Z])/g, '\\sigma');
  s = s.replace(/\\(?:left|right)(?![a-zA-Z])(?:\s*\.)?/g, '');
  s = s.replace(/\\[Bb]igg?[lr]?(?![a-zA-Z])/g, '');
  s = s.replace(/\\[dtc]frac(?![a-zA-Z])/g, '\\frac');
  s = s.replace(/\\(?:displaystyle|textstyle)(?![a-zA-Z])/g, '');
  s = s.replace(/\^\s*\{?\s*\\circ\s*\}?|°/g, '');
  // Unwrap text-like groups innermost first; their content is compared as math or as words.
  for (let prev = ''; prev !== s; ) {
    prev = s;
    s = s.replace(/\\(?:text|textbf|textit|textrm|mathrm|mathbf|mbox)\s*\{([^{}]*)\}/g, '$1');
  }
  s = s.replace(/\\[,;:! ]|~/g, '');
  s = s.replace(/\\?\$/g, '').replace(/\\?%/g, '');
  s = s.trim().replace(/\.$/, '').trim();
  s = s.replace(/^[a-zA-Z]\s*\\in(?![a-zA-Z])\s*/, '');
  s = s.replace(BARE_FUNCTIONS, '\\$1');
  // A thousands-grouped number on its own (Minerva only handles the all-digit case).
  if (/^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(s)) s = s.replace(/,/g, '');
  return s;
}

/** Index of the bracket closing the one at `i` (any of ([{ against any of )]}, as intervals mix them). */
function matchingClose(s, i) {
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

/** Split at `sep` where no bracket is open. */
function splitTopLevel(s, sep) {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let j = 0; j < s.length; j++) {
    const c = s[j];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth === 0 && s.startsWith(sep, j)) {
      parts.push(s.slice(start, j).trim());
      start = j + sep.length;
      j = start - 1;
    }
  }
  parts.push(s.slice(start).trim());
  return parts;
}

/**
 * The top-level shape of an answer. Tuples and intervals keep their order and brackets; sets,
 * bare comma lists ("all solutions, separated by commas") and unions of intervals do not.
 */
function shape(s) {
  const union = splitTopLevel(s, '\\cup');
  if (union.length > 1) return { kind: 'union', items: union };
  if (s.startsWith('\\{') && s.endsWith('\\}') && matchingClose(s, 1) === s.length - 1) {
    return { kind: 'set', items: splitTopLevel(s.slice(2, -2), ',') };
  }
  if (/^[([]/.test(s) && /[)\]]$/.test(s) && matchingClose(s, 0) === s.length - 1) {
    const items = splitTopLevel(s.slice(1, -1), ',');
    if (items.length > 1) return { kind: 'delimited', brackets: s[0] + s[s.length - 1], items };
  }
  const list = splitTopLevel(s, ',');
  if (list.length > 1) return { kind: 'list', items: list };
  return { kind: 'scalar', items: [s] };
}

function sameInOrder(xs, ys, depth) {
  return xs.length === ys.length && xs.every((x, i) => equivalent(x, ys[i], depth + 1));
}

function sameAsMultiset(xs, ys, depth) {
  if (xs.length !== ys.length) return false;
  const used = new Array(ys.length).fill(false);
  return xs.every((x) => {
    const k = ys.findIndex((y, i) => !used[i] && equivalent(x, y, depth + 1));
    if (k < 0) return false;
    used[k] = true;
    return true;
  });
}

function textKey(s) {
  return s.replace(/\s+/g, '').toLowerCase();
}

/** A run of 3+ letters outside a command (or environment name) is a word, not a product of variables. */
function isWordy(s) {
  const math = s.replace(/\\(?:begin|end|operatorname)\s*\{[^{}]*\}/g, ' ').replace(/\\[a-zA-Z]+/g, ' ');
  return /[a-zA-Z]{3,}/.test(math);
}

/** Two cleaned answer strings, compared by shape, then element by element. */
function equivalent(a, b, depth) {
  if (depth > MAX_NESTING) return false;
  const x = shape(a.trim());
  const y = shape(b.trim());
  if (x.kind !== y.kind) return false;
  switch (x.kind) {
    case 'scalar':
      return scalarEquivalent(x.items[0], y.items[0]);
    case 'delimited':
      return x.brackets === y.brackets && sameInOrder(x.items, y.items, depth);
    default:
      return sameAsMultiset(x.items, y.items, depth);
  }
}

function scalarEquivalent(a, b) {
  if (a === '' || b === '') return false;
  if (textKey(a) === textKey(b)) return true;
  // The engine would read "Evelyn" and "Evenly" as the same product of six letters.
  if (isWordy(a) || isWordy(b)) return false;
  try {
    checkBudget(a);
    checkBudget(b);
  } catch (err) {
    if (!(err instanceof OverBudget)) throw err;
    overBudget = true;
    return false;
  }
  const x = ce.parse(a);
  const y = ce.parse(b);
  // Unparseable counts as wrong, as the reference's LaTeXParsingError does.
  if (!x.isValid || !y.isValid) return false;
  return boxedEquivalent(x, y);
}

function boxedEquivalent(x, y) {
  // 1/0 is not equal to 2/0, nor to itself (sympy: zoo - zoo is nan, not 0).
  if (x.isNaN === true || y.isNaN === true) return false;
  if (x.isSame(y)) return true;
  if (COLLECTIONS.has(x.operator) || COLLECTIONS.has(y.operator)) {
    return x.operator === y.operator && sameBoxedInOrder(x.ops ?? [], y.ops ?? []);
  }
  // Non-string expressions report `string` as null, not undefined.
  const xs = typeof x.string === 'string' ? x.string : undefined;
  const ys = typeof y.string === 'string' ? y.string : undefined;
  if (xs !== undefined || ys !== undefined) return xs !== undefined && ys !== undefined && textKey(xs) === textKey(ys);
  // The engine puts relations in a canonical direction (3 > x becomes x < 3).
  if (RELATIONS.has(x.operator) || RELATIONS.has(y.operator)) {
    return x.operator === y.operator && sameBoxedInOrder(x.ops ?? [], y.ops ?? []);
  }
  return numericallyEqual(x, y);
}

function sameBoxedInOrder(xs, ys) {
  return xs.length === ys.length && xs.every((x, i) => boxedEquivalent(x, ys[i]));
}

/**
 * Constant expressions: compare their numeric values. With free variables: compare values at
 * PROBE_ROUNDS fixed assignments (a deterministic stand-in for sympy's simplify(a-b) == 0);
 * points where both sides are undefined are skipped, and at least one must be defined.
 */
function numericallyEqual(x, y) {
  const vars = [...new Set([...(x.unknowns ?? []), ...(y.unknowns ?? [])])].sort();
  if (vars.length === 0) return compareValues(x.N(), y.N()) === 'equal';
  let defined = 0;
  for (let round = 0; round < PROBE_ROUNDS; round++) {
    /** @type {Record<string, number>} */
    const at = {};
    vars.forEach((v, k) => {
      at[v] = PROBES[(round * vars.length + k) % PROBES.length] ?? 0;
    });
    const verdict = compareValues(x.subs(at).N(), y.subs(at).N());
    if (verdict === 'different') return false;
    if (verdict === 'equal') defined++;
  }
  return defined > 0;
}

/** @returns {'equal' | 'different' | 'undefined'} */
function compareValues(u, v) {
  if (u.symbol === 'ComplexInfinity' || v.symbol === 'ComplexInfinity') return 'undefined';
  if (!u.isNumberLiteral || !v.isNumberLiteral) return u.isSame(v) ? 'equal' : 'different';
  const uNaN = Number.isNaN(u.re) || Number.isNaN(u.im);
  const vNaN = Number.isNaN(v.re) || Number.isNaN(v.im);
  if (uNaN || vNaN) return uNaN && vNaN ? 'undefined' : 'different';
  if ([u.re, u.im, v.re, v.im].every(Number.isFinite)) {
    return close(u.re, v.re) && close(u.im, v.im) ? 'equal' : 'different';
  }
  // Infinities, or magnitudes beyond a double (10^400): their exact printed values decide.
  return u.toString() === v.toString() ? 'equal' : 'different';
}

function close(p, q) {
  const d = Math.abs(p - q);
  return d <= ABS_TOL || d <= REL_TOL * Math.max(Math.abs(p), Math.abs(q));
}

/** Set when some scalar of the pair in hand was past the budget. */
let overBudget = false;

/**
 * The verdict for one pair. An engine failure (an input it cannot handle) is "different"; a
 * pair that is not equal and needed a scalar past the budget is "over-budget".
 * @returns {'equal' | 'different' | 'over-budget'}
 */
function check(a, b) {
  if (a.length > MAX_INPUT_CHARS || b.length > MAX_INPUT_CHARS) return 'over-budget';
  reseed();
  overBudget = false;
  ce.pushScope(); // symbols declared while parsing one pair never leak into the next
  try {
    if (equivalent(clean(a), clean(b), 0)) return 'equal';
  } catch {
    // Counted as not equivalent, as the reference counts its parser's and simplifier's errors.
  } finally {
    ce.popScope();
  }
  return overBudget ? 'over-budget' : 'different';
}

if (parentPort) expose({ check, loaded: () => true }, nodeEndpoint(parentPort));
