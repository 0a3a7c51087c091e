/**
 * The two Python `str` operations the reference metrics are built on, with Python's exact
 * semantics (JS `trim()` strips a different whitespace set, and nothing strips a char set).
 */

// `str.isspace()` characters: JS `trim()` also strips U+FEFF, and misses U+001C–U+001F and U+0085.
const PY_SPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPACE_EDGES = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');

/**
 * Python's `s.strip()` (no argument: whitespace) or `s.strip(chars)`, where `chars` is a set of
 * characters (code points) removed from both ends, not a prefix/suffix string.
 */
export function pyStrip(s: string, chars?: string): string {
  if (chars === undefined) return s.replace(PY_SPACE_EDGES, '');
  const set = new Set(Array.from(chars));
  const cps = Array.from(s);
  let start = 0;
  let end = cps.length;
  while (start < end && set.has(cps[start] as string)) start++;
  while (end > start && set.has(cps[end - 1] as string)) end--;
  return cps.slice(start, end).join('');
}

/**
 * Python's `s.lower()`. Both languages apply Unicode's full lower-case mapping (İ → i̇, final
 * sigma in context), so `toLowerCase()` agrees; the wrapper names the intent.
 */
export function pyLower(s: string): string {
  return s.toLowerCase();
}
