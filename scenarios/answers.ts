/**
 * Answer extraction (§1.3): the last `<A>…</A>` tag for information exchange, ARC and MMLU;
 * the last brace-balanced `\boxed{…}` plus Minerva's (Lewkowycz et al.) normalisation for
 * GSM8K and MATH. An utterance with no answer gives the empty string.
 */

export type AnswerFormat = 'tag' | 'boxed';

// Python's `.` (no DOTALL) excludes only "\n"; JS's also excludes "\r", U+2028 and U+2029, so
// the reference's `.` is spelled `[^\n]` below. The `u` flag makes one match step one code
// point, as in Python, so an astral character is never split into surrogate halves.

/** Last `<A>…</A` match, as Python's `re.findall(r"<A>(.*?)</A")[-1]` sees it: no "\n" inside. */
export function extractTagged(text: string): string {
  let last = '';
  for (const m of text.matchAll(/<A>([^\n]*?)<\/A/gu)) last = m[1] ?? '';
  return last;
}

/** Content of the last `\boxed{…}` whose braces balance; empty when there is none or it never closes. */
export function extractBoxed(text: string): string {
  const start = text.lastIndexOf('\\boxed{');
  if (start < 0) return '';
  let depth = 0;
  const open = start + '\\boxed'.length;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return text.slice(open + 1, i);
    }
  }
  return '';
}

const SUBSTITUTIONS: ReadonlyArray<readonly [string, string]> = [
  ['an ', ''], ['a ', ''], ['.$', '$'], ['\\$', ''], ['\\ ', ''], [' ', ''], ['mbox', 'text'],
  [',\\text{and}', ','], ['\\text{and}', ','], ['\\text{m}', '\\text{}'],
];

const REMOVED_EXPRESSIONS: readonly string[] = [
  'square', 'ways', 'integers', 'dollars', 'mph', 'inches', 'ft', 'hours', 'km', 'units',
  '\\ldots', 'sue', 'points', 'feet', 'minutes', 'digits', 'cents', 'degrees', 'cm', 'gm',
  'pounds', 'meters', 'meals', 'edges', 'students', 'childrentickets', 'multiples',
  '\\text{s}', '\\text{.}', '\\text{\ns}', '\\text{}^2', '\\text{}^3', '\\text{\n}', '\\text{}',
  '\\mathrm{th}', '^\\circ', '^{\\circ}', '\\;', ',\\!', '{,}', '"', '\\dots',
];

// Python's `str.isdigit()`: decimal digits (Nd) plus the "digit"-only characters (², ①, …).
const PY_ISDIGIT =
  /^[\p{Nd}\u00B2\u00B3\u00B9\u1369-\u1371\u19DA\u2070\u2074-\u2079\u2080-\u2089\u2460-\u2468\u2474-\u247C\u2488-\u2490\u24EA\u24F5-\u24FD\u24FF\u2776-\u277E\u2780-\u2788\u278A-\u2792\u{10A40}-\u{10A43}\u{10E60}-\u{10E68}\u{11052}-\u{1105A}\u{1F100}-\u{1F10A}]+$/u;

// Dialogue answers repeat endlessly in tree search: a bounded memo keeps the twenty-odd string
// passes below off the hot path without changing any result.
const NORMALIZE_MEMO_LIMIT = 50_000;
const normalizeMemo = new Map<string, string>();

/** Minerva's `normalize_final_answer`, step for step (the MATH answer normaliser of §1.3). */
export function normalizeFinalAnswer(answer: string): string {
  const hit = normalizeMemo.get(answer);
  if (hit !== undefined) return hit;
  const out = normalizeUncached(answer);
  if (normalizeMemo.size >= NORMALIZE_MEMO_LIMIT) normalizeMemo.clear();
  normalizeMemo.set(answer, out);
  return out;
}

function normalizeUncached(answer: string): string {
  let s = answer.split('=').at(-1) ?? '';
  for (const [before, after] of SUBSTITUTIONS) s = s.split(before).join(after);
  for (const expr of REMOVED_EXPRESSIONS) s = s.split(expr).join('');
  s = s.replace(/([^\n]*?)(\$)([^\n]*?)(\$)([^\n]*)/gu, '$$$3$$');
  s = s.replace(/(\\text\{)([^\n]*?)(\})/gu, '$2');
  s = s.replace(/(\\textbf\{)([^\n]*?)(\})/gu, '$2');
  s = s.replace(/(\\overline\{)([^\n]*?)(\})/gu, '$2');
  s = s.replace(/(\\boxed\{)([^\n]*)(\})/gu, '$2');
  s = s.replace(/(frac)([^{])([^\n])/gu, 'frac{$2}{$3}');
  s = s.replace(/(sqrt)([^{])/gu, 'sqrt{$2}');
  s = s.split('$').join('');
  if (PY_ISDIGIT.test(s.split(',').join(''))) s = s.split(',').join('');
  return s;
}

/** The parsed answer of one utterance in the given format ('' when it states none). */
export function extractAnswer(text: string, format: AnswerFormat): string {
  if (format === 'tag') return extractTagged(text).trim();
  const boxed = extractBoxed(text);
  return boxed === '' ? '' : normalizeFinalAnswer(boxed);
}
