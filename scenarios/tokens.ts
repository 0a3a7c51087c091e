/**
 * Llama-3 BPE tokens, offline: the vocabulary ships inside `llama3-tokenizer-js`.
 * Used for token counts (reward, budgets) and for the token-level F1 of §1.3.
 */
import llama3Tokenizer from 'llama3-tokenizer-js';

const NO_SPECIALS = { bos: false, eos: false } as const;

/** Token ids of `text`, without begin/end-of-text tokens. */
export function llama3Encode(text: string): number[] {
  return text.length === 0 ? [] : llama3Tokenizer.encode(text, NO_SPECIALS);
}

/** The token strings of `text`, as the F1 metric compares them. */
export function llama3Pieces(text: string): string[] {
  return llama3Encode(text).map((id) => llama3Tokenizer.vocabById[id] ?? `#${id}`);
}

// Dialogue text repeats itself a lot (templates, shared prefixes): a bounded memo keeps
// counting off the hot path without changing any result.
const COUNT_CACHE_LIMIT = 50_000;
const countCache = new Map<string, number>();

export function llama3Count(text: string): number {
  const hit = countCache.get(text);
  if (hit !== undefined) return hit;
  const n = llama3Encode(text).length;
  if (countCache.size >= COUNT_CACHE_LIMIT) countCache.clear();
  countCache.set(text, n);
  return n;
}
