/**
 * Rendering: a (move, content, phrasing) triple as the utterance text, `Name: ` prefix
 * included; and cutting a text to a token limit.
 */
import llama3Tokenizer from 'llama3-tokenizer-js';
import { llama3Encode } from '../../scenarios/tokens.ts';
import { renderAnswer, stepsFor } from './oracle.ts';
import type { Content } from './outcomes.ts';
import type { DialogueState } from './state.ts';
import { phrasings, type Template } from './templates.ts';
import { countTokens } from './tokcount.ts';

/** How a fact group reads: its sentences as they appear in the context, joined by spaces. */
function quote(s: DialogueState, group: readonly number[]): string {
  return group.map((f) => s.oracle.facts[f]?.text ?? '').join(' ');
}

/** Short name of a context piece for a reasoning chain: its title, else its first words. */
function label(s: DialogueState, fact: number): string {
  const f = s.oracle.facts[fact];
  if (!f) return '';
  return s.oracle.pieceTitles[f.piece] ?? f.text.split(/\s+/).slice(0, 6).join(' ');
}

/** The facts an answer's reasoning cites: needed facts in view (else any held), at most 3. */
function chain(s: DialogueState): string {
  const seen = new Set<number>(s.held);
  for (const u of s.utterances) for (const f of u.facts) seen.add(f);
  let cited = s.oracle.needed.filter((f) => seen.has(f));
  if (cited.length === 0) cited = s.held;
  const labels = [...new Set(cited.slice(0, 3).map((f) => label(s, f)))].filter((l) => l !== '');
  return labels.length === 0 ? 'from the question alone' : labels.join(' -> ');
}

function fill(s: DialogueState, t: Template, c: Content): string {
  let out = `${s.speaker}: `;
  for (const part of t.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    switch (part.slot) {
      case 'fact':
        out += quote(s, c.facts?.[0] ?? []);
        break;
      case 'facts':
        out += (c.facts ?? []).map((g) => quote(s, g)).join('\n- ');
        break;
      case 'ans':
        out += renderAnswer(c.value ?? '', s.world.format);
        break;
      case 'partner':
        out += s.partner;
        break;
      case 'steps':
        out += stepsFor(s.oracle, c.value ?? '').join('\n');
        break;
      case 'chain':
        out += chain(s);
        break;
      case 'step':
        out += String(c.step ?? 1);
        break;
    }
  }
  return out;
}

/** The utterance for move `move` with content `c` in phrasing `phrasing` (an index). */
export function renderUtterance(s: DialogueState, move: number, c: Content, phrasing: number): string {
  const t = phrasings(s.world.family, move)[phrasing];
  if (!t) throw new RangeError(`no phrasing ${phrasing} for move ${move} in ${s.world.family}`);
  return fill(s, t, c);
}

/**
 * `text` cut to at most `maxTokens` Llama-3 tokens. Decoding a token prefix and re-encoding
 * can merge differently, so the cut shrinks until the re-encoded count fits.
 */
export function truncateToTokens(text: string, maxTokens: number): { text: string; tokens: number; cut: boolean } {
  const tokens = countTokens(text);
  if (tokens <= maxTokens) return { text, tokens, cut: false };
  const ids = llama3Encode(text);
  for (let k = Math.max(0, maxTokens); k >= 0; k--) {
    const cut = llama3Tokenizer.decode(ids.slice(0, k));
    const n = countTokens(cut);
    if (n <= maxTokens) return { text: cut, tokens: n, cut: true };
  }
  return { text: '', tokens: 0, cut: true };
}
