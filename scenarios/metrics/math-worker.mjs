// @ts-check
/**
 * MATH answer equivalence (§1.3), run in a worker thread so that the parent can cut a
 * pathological expression off at its time limit by terminating this thread; a blocked
 * event loop here never stalls the engine.
 *
 * Plain JS because the worker starts without the TypeScript loader.
 *
 * Protocol: the parent posts `{ id, a, b }` (two Minerva-normalised answers); the worker
 * answers `{ id, equal, error? }`. It posts `{ type: 'ready' }` once the Compute Engine is
 * loaded, so start-up time never counts against a request's time limit.
 *
 * The reference (sympy `parse_latex`, then `simplify(a - b) == 0`) cannot read tuples or
 * intervals; here they are compared element-wise, and scalars by exact numeric evaluation or,
 * when free variables are present, by evaluation at fixed probe points.
 */
import { parentPort } from 'node:worker_threads';

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

/** The verdict for one pair; any engine failure counts as "not equivalent". */
function check(a, b) {
  reseed();
  ce.pushScope(); // symbols declared while parsing one pair never leak into the next
  try {
    return { equal: equivalent(clean(a), clean(b), 0) };
  } catch (err) {
    return { equal: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    ce.popScope();
  }
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (msg) => {
    const { id, a, b } = msg;
    port.postMessage({ id, ...check(String(a), String(b)) });
  });
  port.postMessage({ type: 'ready' });
}
