/**
 * Llama-3 token counts without re-running BPE on every new utterance.
 *
 * The Llama-3 tokenizer first splits text with a fixed regex (the pre-tokenizer) and then runs
 * BPE inside each piece, never across pieces, so a text's count is the sum of its pieces'
 * counts. Dialogue text is made of a small vocabulary of pieces (words, numbers, punctuation),
 * so memoising per piece turns a ~1 µs-per-token BPE run into a regex split plus map lookups.
 * The result equals `llama3Count` exactly (a property test checks it); text that contains a
 * special-token marker goes to `llama3Count` itself, because the tokenizer splits those first.
 */
import { llama3Count, llama3Encode } from '../../scenarios/tokens.ts';

// The pre-tokenizer pattern of llama3-tokenizer-js, in its JS-compatible form (the library
// rewrites the case-insensitive contraction group the same way).
const PRETOKEN = new RegExp(
  "(?:'([sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD]))|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  'gu',
);

const PIECE_CACHE_LIMIT = 200_000;
const pieceCounts = new Map<string, number>();

function pieceCount(piece: string): number {
  const hit = pieceCounts.get(piece);
  if (hit !== undefined) return hit;
  const n = llama3Encode(piece).length;
  if (pieceCounts.size >= PIECE_CACHE_LIMIT) pieceCounts.clear();
  pieceCounts.set(piece, n);
  return n;
}

/** Llama-3 BPE token count of `text`, equal to `llama3Count(text)`. */
export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  if (text.includes('<|')) return llama3Count(text);
  let n = 0;
  let prev = 0;
  PRETOKEN.lastIndex = 0;
  for (let m = PRETOKEN.exec(text); m !== null; m = PRETOKEN.exec(text)) {
    // The library keeps any unmatched gap as a piece of its own; the pattern's last branch
    // matches any whitespace, so gaps do not occur, but counting them keeps the sum exact.
    if (m.index > prev) n += pieceCount(text.slice(prev, m.index));
    n += pieceCount(m[0]);
    prev = m.index + m[0].length;
    if (m[0].length === 0) PRETOKEN.lastIndex++;
  }
  if (prev < text.length) n += pieceCount(text.slice(prev));
  return n;
}
