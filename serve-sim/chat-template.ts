/**
 * The Llama-3 chat template and token ids as serve-sim serves them: `/tokenize`, `/detokenize`,
 * the usage counts, and the inverse of the template that lets `/v1/completions` recover the
 * messages and the scored text from a prompt of token ids.
 *
 * Ids are llama3-tokenizer-js's, memoised per pre-token piece: the tokenizer splits text at
 * special-token markers, then with a fixed regex, and runs BPE inside each piece only, so the
 * ids of a text are the concatenation of its pieces' ids (a test checks them against the library).
 */
import llama3Tokenizer from 'llama3-tokenizer-js';
import type { ChatMessage, Role } from '../engine/base/model-backend.ts';
import { countTokens } from '../engine/sim/tokcount.ts';

export const BOS = '<|begin_of_text|>';
export const EOT = '<|eot_id|>';
export const START_HEADER = '<|start_header_id|>';
export const END_HEADER = '<|end_header_id|>';
/** What add_generation_prompt appends: an open assistant turn. */
export const GENERATION_HEADER = `${START_HEADER}assistant${END_HEADER}\n\n`;

export const BOS_ID = llama3Tokenizer.getSpecialTokenId(BOS);
export const EOT_ID = llama3Tokenizer.getSpecialTokenId(EOT);
/** Ids run from 0 to VOCAB_SIZE - 1 (base vocabulary, then the special tokens). */
export const VOCAB_SIZE = llama3Tokenizer.vocabById.length;
/** The context length /tokenize reports (Llama-3.1's). */
export const MAX_MODEL_LEN = 131_072;

export interface TemplateOptions {
  /** Append an open assistant header for the reply. */
  addGenerationPrompt?: boolean;
  /** Leave the last message open (no `<|eot_id|>`), for the model to continue it. */
  continueFinalMessage?: boolean;
}

/**
 * The templated prompt: `<|begin_of_text|>`, then per message
 * `<|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>`. Contents are not trimmed,
 * so the template can be inverted exactly (parseTemplatedMessages).
 */
export function applyChatTemplate(messages: readonly ChatMessage[], opts: TemplateOptions = {}): string {
  let out = BOS;
  messages.forEach((m, i) => {
    out += `${START_HEADER}${m.role}${END_HEADER}\n\n${m.content}`;
    if (!(opts.continueFinalMessage && i === messages.length - 1)) out += EOT;
  });
  if (opts.addGenerationPrompt && !opts.continueFinalMessage) out += GENERATION_HEADER;
  return out;
}

/** Tokens a message adds besides its content: its header, the blank line and `<|eot_id|>`. */
const roleCounts = new Map<string, number>();
function headerCount(role: string): number {
  let n = roleCounts.get(role);
  if (n === undefined) {
    n = 2 + countTokens(role);
    roleCounts.set(role, n);
  }
  return n;
}

/** countTokens(applyChatTemplate(messages, opts)) without building or re-tokenising the whole prompt. */
export function templatedTokenCount(messages: readonly ChatMessage[], opts: TemplateOptions = {}): number {
  let n = 1;
  messages.forEach((m, i) => {
    // The piece after <|end_header_id|> runs to the next marker: the blank line and the content.
    n += headerCount(m.role) + countTokens(`\n\n${m.content}`);
    if (!(opts.continueFinalMessage && i === messages.length - 1)) n += 1;
  });
  if (opts.addGenerationPrompt && !opts.continueFinalMessage) n += headerCount('assistant') + countTokens('\n\n');
  return n;
}

// The splits of llama3-tokenizer-js: special-token markers first, then its pre-tokenizer.
const SPECIAL =
  /<\|(?:begin_of_text|end_of_text|start_header_id|end_header_id|eot_id|eom_id|python_tag|finetune_right_pad_id|reserved_special_token_(?:[0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-3][0-9]|24[0-7]))\|>/g;
const PRETOKEN = new RegExp(
  "(?:'([sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD]))|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  'gu',
);
const NO_SPECIALS = { bos: false, eos: false } as const;
const PIECE_CACHE_LIMIT = 200_000;
const pieceIds = new Map<string, readonly number[]>();

function pushPiece(out: number[], piece: string): void {
  let ids = pieceIds.get(piece);
  if (ids === undefined) {
    ids = llama3Tokenizer.encode(piece, NO_SPECIALS);
    if (pieceIds.size >= PIECE_CACHE_LIMIT) pieceIds.clear();
    pieceIds.set(piece, ids);
  }
  for (const id of ids) out.push(id);
}

function pushPlain(out: number[], text: string): void {
  let prev = 0;
  PRETOKEN.lastIndex = 0;
  for (let m = PRETOKEN.exec(text); m !== null; m = PRETOKEN.exec(text)) {
    if (m.index > prev) pushPiece(out, text.slice(prev, m.index));
    if (m[0].length === 0) PRETOKEN.lastIndex++;
    else pushPiece(out, m[0]);
    prev = m.index + m[0].length;
  }
  if (prev < text.length) pushPiece(out, text.slice(prev));
}

/** Llama-3 token ids of `text`, special-token markers as their ids; `bos` prepends `<|begin_of_text|>`. */
export function encodeIds(text: string, bos = false): number[] {
  const out: number[] = bos ? [BOS_ID] : [];
  if (!text.includes('<|')) {
    pushPlain(out, text);
    return out;
  }
  let prev = 0;
  SPECIAL.lastIndex = 0;
  for (let m = SPECIAL.exec(text); m !== null; m = SPECIAL.exec(text)) {
    if (m.index > prev) pushPlain(out, text.slice(prev, m.index));
    out.push(llama3Tokenizer.getSpecialTokenId(m[0]));
    prev = m.index + m[0].length;
  }
  if (prev < text.length) pushPlain(out, text.slice(prev));
  return out;
}

/** The text of token ids (the inverse of encodeIds). */
export function decodeIds(ids: readonly number[]): string {
  return llama3Tokenizer.decode(ids as number[]);
}

const pieceTexts: (string | undefined)[] = new Array(VOCAB_SIZE);

/** One token's text, as vLLM lists it in `logprobs.tokens` (a partial UTF-8 character decodes to U+FFFD). */
export function tokenText(id: number): string {
  let s = pieceTexts[id];
  if (s === undefined) {
    s = llama3Tokenizer.decode([id]);
    pieceTexts[id] = s;
  }
  return s;
}

/** One token's length in UTF-8 bytes: its vocabulary entry maps one character to one byte. */
export function tokenBytes(id: number): number {
  return (llama3Tokenizer.vocabById[id] as string).length;
}

/**
 * The messages of a templated prompt's closed turns (`text` as applyChatTemplate writes it, the
 * open generation header excluded), or null when `text` is not such a prompt.
 */
export function parseTemplatedMessages(text: string): ChatMessage[] | null {
  if (!text.startsWith(BOS)) return null;
  const out: ChatMessage[] = [];
  let at = BOS.length;
  while (at < text.length) {
    if (!text.startsWith(START_HEADER, at)) return null;
    const roleEnd = text.indexOf(END_HEADER, at);
    if (roleEnd < 0) return null;
    const role = text.slice(at + START_HEADER.length, roleEnd);
    if (role !== 'system' && role !== 'user' && role !== 'assistant') return null;
    const contentStart = roleEnd + END_HEADER.length + 2;
    if (text.slice(roleEnd + END_HEADER.length, contentStart) !== '\n\n') return null;
    const end = text.indexOf(EOT, contentStart);
    if (end < 0) return null;
    out.push({ role: role as Role, content: text.slice(contentStart, end) });
    at = end + EOT.length;
  }
  return out;
}

/**
 * A scoring prompt split into its chat-template prefix and the scored text: with an open
 * generation header, the closed turns before it and everything after it; with none, no messages
 * and the text after `<|begin_of_text|>`. Null when the text is neither.
 */
export function splitScoringPrompt(text: string): { messages: ChatMessage[]; prefix: string; response: string } | null {
  const at = text.lastIndexOf(GENERATION_HEADER);
  if (at >= 0 && !text.includes(EOT, at + GENERATION_HEADER.length)) {
    const messages = parseTemplatedMessages(text.slice(0, at));
    if (messages === null) return null;
    const prefix = text.slice(0, at + GENERATION_HEADER.length);
    return { messages, prefix, response: text.slice(prefix.length) };
  }
  if (!text.startsWith(BOS)) return null;
  return { messages: [], prefix: BOS, response: text.slice(BOS.length) };
}
