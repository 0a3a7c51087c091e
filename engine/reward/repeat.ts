/**
 * Repetition check of Optima's reward (§2.1): a dialogue in which an utterance repeats an
 * earlier one gets no readability term.
 *
 * Reference (swt-user/DITS `reward/deploy_reward.py`, both the SFT and the MCTS scorer): each
 * utterance is reduced to `s.strip().strip("Alice:").strip("Bob:").lower()` and compared for
 * equality with the reductions of the earlier ones. Python's `str.strip(chars)` removes any run
 * of the given *characters* from both ends (it is not a prefix removal), so `"Bob: hi"` becomes
 * `" h"` (the trailing `i` is in "Alice:", the leading `Bob:` in "Bob:"). That quirk decides
 * which utterances count as equal, so it is reproduced exactly here.
 */

/** The characters Python's `str.isspace()` accepts, i.e. what `str.strip()` removes. */
const PYTHON_WHITESPACE = new Set(
  [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
    0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
    0x2028, 0x2029, 0x202f, 0x205f, 0x3000].map((c) => String.fromCharCode(c)),
);

/** Python's `s.strip(chars)` for a set of BMP characters: trim any run of them at both ends. */
function stripChars(s: string, chars: ReadonlySet<string>): string {
  let start = 0;
  let end = s.length;
  while (start < end && chars.has(s.charAt(start))) start++;
  while (end > start && chars.has(s.charAt(end - 1))) end--;
  return s.slice(start, end);
}

/** Python's `s.strip()` (JS `trim()` differs: it keeps U+001C–U+001F and U+0085, drops U+FEFF). */
export function pythonStrip(s: string): string {
  return stripChars(s, PYTHON_WHITESPACE);
}

/**
 * The form two utterances are compared in: whitespace-stripped, then stripped of the characters
 * of each `Name:` in turn, then lower-cased. With `['Alice', 'Bob']` this is the reference.
 */
export function repeatKey(utterance: string, agentNames: readonly string[] = ['Alice', 'Bob']): string {
  let s = pythonStrip(utterance);
  for (const name of agentNames) s = stripChars(s, new Set(`${name}:`));
  return s.toLowerCase();
}

/**
 * Index of the first utterance whose key equals an earlier utterance's key, or -1.
 * Stops at the first repeat, as the reference's loop `break`s.
 */
export function firstRepeat(utterances: readonly string[], agentNames?: readonly string[]): number {
  const seen = new Set<string>();
  for (let k = 0; k < utterances.length; k++) {
    const key = repeatKey(utterances[k] ?? '', agentNames);
    if (seen.has(key)) return k;
    seen.add(key);
  }
  return -1;
}

/** Some utterance repeats an earlier one, compared as the reference compares (see `repeatKey`). */
export function hasRepeat(utterances: readonly string[], agentNames?: readonly string[]): boolean {
  return firstRepeat(utterances, agentNames) !== -1;
}
