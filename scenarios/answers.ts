/**
 * Answer extraction (§1.3): the last `<A>…</A>` tag for information exchange, ARC and MMLU;
 * the last brace-balanced `\boxed{…}` plus Minerva's (Lewkowycz et al.) normalisation for
 * GSM8K and MATH. An utterance with no answer gives the empty string.
 */

export type AnswerFormat = 'tag' | 'boxed';

/** Last `<A>…</A` match, as Python's `re.findall(r"<A>(.*?)</A")[-1]` sees it: no newlines inside. */
export function extractTagged(text: string): string {
  let last = '';
  for (const m of text.matchAll(/<A>(.*?)<\/A/g)) last = m[1] ?? '';
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

/** Minerva's `normalize_final_answer`, step for step (the MATH answer normaliser of §1.3). */
export function normalizeFinalAnswer(answer: string): string {
  let s = answer.split('=').at(-1) ?? '';
  for (const [before, after] of SUBSTITUTIONS) s = s.split(before).join(after);
  for (const expr of REMOVED_EXPRESSIONS) s = s.split(expr).join('');
  s = s.replace(/(.*?)(\$)(.*?)(\$)(.*)/g, '$$$3$$');
  s = s.replace(/(\\text\{)(.*?)(\})/g, '$2');
  s = s.replace(/(\\textbf\{)(.*?)(\})/g, '$2');
  s = s.replace(/(\\overline\{)(.*?)(\})/g, '$2');
  s = s.replace(/(\\boxed\{)(.*)(\})/g, '$2');
  s = s.replace(/(frac)([^{])(.)/g, 'frac{$2}{$3}');
  s = s.replace(/(sqrt)([^{])/g, 'sqrt{$2}');
  s = s.split('$').join('');
  if (/^\d+$/.test(s.split(',').join(''))) s = s.split(',').join('');
  return s;
}

/** The parsed answer of one utterance in the given format ('' when it states none). */
export function extractAnswer(text: string, format: AnswerFormat): string {
  if (format === 'tag') return extractTagged(text).trim();
  const boxed = extractBoxed(text);
  return boxed === '' ? '' : normalizeFinalAnswer(boxed);
}
