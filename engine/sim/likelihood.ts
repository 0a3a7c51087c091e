/**
 * Log-likelihood of a text as the next utterance.
 *
 * With a conversation: exact, log Σ_m p(m | state) · q_m(text) (see distribution.ts), with the
 * move weights in p(m | state) and the answer skills in q_m.
 * Without one (`messages = []`, how the reward scores an utterance alone for its readability
 * term, CE = −logprob / tokens): a context-free model that knows the phrasing templates but
 * not the task. It picks a template uniformly and pays a fixed price per token: cheap for the
 * template's own words, dear for slot text (quoted facts, answers, worked steps), which it
 * cannot predict without context. It has no trainable parameters, like the frozen base model
 * the reward is meant to use.
 *
 * Text the model cannot produce (someone else's, or cut at maxTokens) goes to an OTHER
 * channel: a fixed cost plus a per-token cost far above any template's, so the result is
 * always finite and such text reads as the least readable. OTHER is a score, not a share of
 * the distribution: sampled texts alone sum to probability 1.
 */
import type { ChatMessage, LogLikelihood } from '../base/model-backend.ts';
import { moveEvidence } from './distribution.ts';
import { moveProbabilities, policyInput } from './policy.ts';
import type { SimParams } from './params.ts';
import { dialogueState } from './state.ts';
import { countTokens } from './tokcount.ts';
import type { SimWorld } from './world.ts';

/** Nats: the OTHER channel's fixed cost and per-token cost. */
export const OTHER = { fixed: 12, perToken: 7 } as const;
/** Nats per token of the context-free model: template words and slot text. */
export const CONTEXT_FREE = { literal: 0.4, slot: 2.2 } as const;

const SPEAKER = /^([A-Za-z][\w-]*):/;

function other(tokens: number): number {
  return -OTHER.fixed - OTHER.perToken * tokens;
}

function logSumExp(xs: readonly number[]): number {
  const top = Math.max(...xs);
  let s = 0;
  for (const x of xs) s += Math.exp(x - top);
  return top + Math.log(s);
}

const CONTEXT_FREE_MEMO_LIMIT = 20_000;
const contextFreeMemo = new WeakMap<SimWorld, Map<string, number>>();

/** The context-free log-probability of `text` (see the file comment). */
function contextFreeLogprob(world: SimWorld, text: string, tokens: number): number {
  let memo = contextFreeMemo.get(world);
  if (!memo) contextFreeMemo.set(world, (memo = new Map()));
  const hit = memo.get(text);
  if (hit !== undefined) return hit;
  const prior = -Math.log(world.recogniser.size);
  const alternatives = world.recogniser.match(text).map((m) => {
    let slotTokens = 0;
    for (const v of m.slots) slotTokens += countTokens(v);
    const literal = Math.max(0, tokens - slotTokens);
    return prior - CONTEXT_FREE.literal * literal - CONTEXT_FREE.slot * slotTokens;
  });
  const lp = alternatives.length > 0 ? logSumExp(alternatives) : other(tokens);
  if (memo.size >= CONTEXT_FREE_MEMO_LIMIT) memo.clear();
  memo.set(text, lp);
  return lp;
}

/** log p(text | messages) under `params`; the speaker is read from the text's `Name:` prefix. */
export function logLikelihoodSync(world: SimWorld, params: SimParams, messages: readonly ChatMessage[], text: string): LogLikelihood {
  const tokens = countTokens(text);
  if (messages.length === 0) return { logprob: contextFreeLogprob(world, text, tokens), tokens };
  const speaker = SPEAKER.exec(text)?.[1];
  if (speaker === undefined) return { logprob: other(tokens), tokens };
  const s = dialogueState(world, messages, speaker);
  const input = policyInput(s);
  const probs = moveProbabilities(params, input, 1);
  const q = moveEvidence(s, input.mask, text, params);
  let p = 0;
  for (let m = 0; m < q.length; m++) p += (probs[m] as number) * (q[m] as number);
  return { logprob: p > 0 ? Math.log(p) : other(tokens), tokens };
}
