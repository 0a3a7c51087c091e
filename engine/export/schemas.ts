/**
 * What each trainer requires of a row, as zod schemas: exact field names (strict objects, so a
 * misspelt or extra key fails), role values, turn order, and the shape of chosen/rejected. Every
 * row dits writes is checked against these before it is written; tests check them too.
 *
 * Sources (read, not copied):
 * - TRL: huggingface/trl docs/source/dataset_formats.md; trl/data_utils.py apply_chat_template
 *   (a prompt must end with a user turn: an assistant last turn is *continued*, a system last turn
 *   is rejected).
 * - alignment-handbook: huggingface/alignment-handbook and thunlp/Optima
 *   alignment-handbook/src/alignment/data.py (DPO prompt = chosen[:-1]).
 * - OpenRLHF: openrlhf/datasets/reward_dataset.py, sft_dataset.py (multiturn: loss on every
 *   assistant message).
 * - LLaMA-Factory: data/README.md; src/llamafactory/data/converter.py (SharegptDatasetConverter:
 *   human/observation at even indices, gpt/function at odd ones; SFT has an even number of turns,
 *   a ranking row an odd number; chosen/rejected are single gpt messages).
 * - axolotl: docs/dataset-formats/conversation.qmd, docs/rlhf.qmd,
 *   src/axolotl/prompt_strategies/chat_template.py and dpo/chat_template.py.
 */
import { z } from 'zod';
import type { RoleStyle } from './views.ts';

type End = 'user' | 'assistant' | 'any';

/**
 * Why a role sequence is not a dits conversation in this style, or undefined when it is: the
 * system prompt first, then (optima) assistant turns only, or (alternating) user, assistant,
 * user, ... The conversation must end on `end`.
 */
function roleProblem(roles: readonly string[], style: RoleStyle, end: End): string | undefined {
  if (roles[0] !== 'system') return 'the first message must be the system prompt';
  const turns = roles.slice(1);
  if (end !== 'any' && turns[turns.length - 1] !== end) return `the last message must be ${end === 'assistant' ? 'an' : 'a'} ${end} turn`;
  for (let i = 0; i < turns.length; i++) {
    const want = style === 'optima' ? 'assistant' : i % 2 === 0 ? 'user' : 'assistant';
    if (turns[i] !== want) {
      return style === 'optima'
        ? `message ${i + 1} is '${turns[i]}': in Optima's format every utterance is an assistant turn`
        : `message ${i + 1} is '${turns[i]}' where '${want}' is due: turns must alternate user/assistant after the system prompt`;
    }
  }
  return undefined;
}

/** A (style, end) a conversation field may take. */
type Shape = readonly [RoleStyle, End];

function shapeProblem(roles: readonly string[], shapes: readonly Shape[]): string | undefined {
  const problems = shapes.map(([style, end]) => roleProblem(roles, style, end));
  return problems.every((p) => p !== undefined) ? problems.join('; or ') : undefined;
}

const roleOf = (messages: readonly { role: string }[]) => messages.map((m) => m.role);

/** Checks that field `key` of a row is a conversation of one of the given shapes. */
function conversationCheck(key: string, ...shapes: Shape[]) {
  return (row: Record<string, unknown>, ctx: z.RefinementCtx) => {
    const problem = shapeProblem(roleOf(row[key] as { role: string }[]), shapes);
    if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
  };
}

/** chosen and rejected are whole conversations that differ only in their last message. */
function samePromptCheck(row: { chosen: unknown[]; rejected: unknown[] }, ctx: z.RefinementCtx): void {
  if (JSON.stringify(row.chosen.slice(0, -1)) !== JSON.stringify(row.rejected.slice(0, -1))) {
    ctx.addIssue({ code: 'custom', path: ['rejected'], message: 'chosen and rejected must share every message but the last' });
  }
}

const chatMessage = z.strictObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });
const assistantMessage = z.strictObject({ role: z.literal('assistant'), content: z.string() });
const conversation = z.array(chatMessage);
const ALT_USER: Shape = ['alternating', 'user'];
const ALT_ASSISTANT: Shape = ['alternating', 'assistant'];
const OPTIMA_ASSISTANT: Shape = ['optima', 'assistant'];

// --- TRL -----------------------------------------------------------------------------------

/** TRL conversational language modeling. With `assistant_only_loss` only assistant turns are trained. */
export const trlSftMessagesRow = z.strictObject({ messages: conversation }).superRefine(conversationCheck('messages', ALT_ASSISTANT));

/** TRL conversational prompt-completion: the completion is one assistant turn after a user turn. */
export const trlSftPromptCompletionRow = z
  .strictObject({ prompt: conversation, completion: z.tuple([assistantMessage]) })
  .superRefine(conversationCheck('prompt', ALT_USER));

/** TRL conversational preference with an explicit prompt. */
export const trlDpoRow = z
  .strictObject({ prompt: conversation, chosen: z.tuple([assistantMessage]), rejected: z.tuple([assistantMessage]) })
  .superRefine(conversationCheck('prompt', ALT_USER));

/** TRL conversational preference with an implicit prompt (the shared prefix of chosen and rejected). */
export const trlDpoImplicitRow = z
  .strictObject({ chosen: conversation, rejected: conversation })
  .superRefine(conversationCheck('chosen', ALT_ASSISTANT))
  .superRefine(conversationCheck('rejected', ALT_ASSISTANT))
  .superRefine(samePromptCheck);

// --- alignment-handbook ---------------------------------------------------------------------

/** `messages` in OpenAI format; Optima's rows keep every utterance as an assistant turn. */
export const handbookSftRow = z.strictObject({ messages: conversation }).superRefine(conversationCheck('messages', OPTIMA_ASSISTANT, ALT_ASSISTANT));

/** Optima's HF DPO dataset: whole conversations; the handbook takes chosen[:-1] as the prompt. */
export const handbookDpoRow = z
  .strictObject({ chosen: conversation, rejected: conversation })
  .superRefine(conversationCheck('chosen', OPTIMA_ASSISTANT, ALT_ASSISTANT))
  .superRefine(conversationCheck('rejected', OPTIMA_ASSISTANT, ALT_ASSISTANT))
  .superRefine(samePromptCheck);

// --- OpenRLHF --------------------------------------------------------------------------------

/** `--input_key messages --apply_chat_template --multiturn`: every assistant message is trained. */
export const openrlhfSftRow = z.strictObject({ messages: conversation }).superRefine(conversationCheck('messages', ALT_ASSISTANT));

/** `--prompt_key prompt --chosen_key chosen --rejected_key rejected --apply_chat_template`. */
export const openrlhfDpoRow = z
  .strictObject({
    prompt: conversation,
    chosen: z.tuple([assistantMessage]),
    rejected: z.tuple([assistantMessage]),
    margin: z.number().optional(),
  })
  .superRefine(conversationCheck('prompt', ALT_USER));

// --- LLaMA-Factory ---------------------------------------------------------------------------

const sharegptTurn = z.strictObject({ from: z.enum(['human', 'gpt']), value: z.string() });
const gptTurn = z.strictObject({ from: z.literal('gpt'), value: z.string() });

/** ShareGPT turn order: human at odd positions (1st, 3rd, ...), gpt at even ones; `parity` is the required length parity. */
function sharegptCheck(parity: 'even' | 'odd') {
  return (row: { conversations: { from: string }[] }, ctx: z.RefinementCtx) => {
    const turns = row.conversations;
    const bad = turns.findIndex((t, i) => t.from !== (i % 2 === 0 ? 'human' : 'gpt'));
    if (bad >= 0) {
      ctx.addIssue({ code: 'custom', path: ['conversations', bad], message: `turn ${bad + 1} is '${turns[bad]?.from}': human turns sit at odd positions, gpt at even ones` });
    }
    if (turns.length === 0 || (turns.length % 2 === 0) !== (parity === 'even')) {
      ctx.addIssue({ code: 'custom', path: ['conversations'], message: `needs a non-empty, ${parity} number of turns (${parity === 'even' ? 'ending with gpt' : 'ending with human'})` });
    }
  };
}

/** ShareGPT SFT (`formatting: sharegpt`): every gpt turn is trained. */
export const llamaFactorySftRow = z.strictObject({ conversations: z.array(sharegptTurn), system: z.string() }).superRefine(sharegptCheck('even'));

/** ShareGPT preference (`ranking: true`): chosen and rejected are single gpt messages. */
export const llamaFactoryDpoRow = z
  .strictObject({ conversations: z.array(sharegptTurn), chosen: gptTurn, rejected: gptTurn, system: z.string() })
  .superRefine(sharegptCheck('odd'));

const sharegptTags = z.strictObject({
  role_tag: z.literal('from'),
  content_tag: z.literal('value'),
  user_tag: z.literal('human'),
  assistant_tag: z.literal('gpt'),
});

/** One `dataset_info.json` entry; a ranking entry maps chosen/rejected, an SFT entry does not. */
const llamaFactoryDatasetEntry = z
  .strictObject({
    file_name: z.string().min(1),
    formatting: z.literal('sharegpt'),
    ranking: z.boolean(),
    columns: z.strictObject({
      messages: z.literal('conversations'),
      system: z.literal('system'),
      chosen: z.literal('chosen').optional(),
      rejected: z.literal('rejected').optional(),
    }),
    tags: sharegptTags,
  })
  .superRefine((e, ctx) => {
    if (e.ranking !== (e.columns.chosen !== undefined) || e.ranking !== (e.columns.rejected !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['columns'], message: 'chosen/rejected columns belong to ranking datasets only' });
    }
  });

export const llamaFactoryDatasetInfo = z.record(z.string(), llamaFactoryDatasetEntry);

// --- axolotl ---------------------------------------------------------------------------------

/** `message_field_training_detail`: character spans of the content, end inclusive. */
const trainDetail = z.strictObject({ begin_offset: z.int().min(0), end_offset: z.int().min(0), train: z.boolean() });

const axolotlMessage = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
  train: z.boolean(),
  train_detail: z.array(trainDetail).optional(),
});

/**
 * `type: chat_template` with `message_field_training: train`: the flag decides the loss. Only the
 * agent's assistant turns may be trained, the last message must be trained (axolotl warns
 * otherwise), and train_detail spans lie inside the content.
 */
export const axolotlSftRow = z
  .strictObject({ messages: z.array(axolotlMessage) })
  .superRefine(conversationCheck('messages', OPTIMA_ASSISTANT, ALT_ASSISTANT))
  .superRefine((row, ctx) => {
    row.messages.forEach((m, i) => {
      if (m.train && m.role !== 'assistant') ctx.addIssue({ code: 'custom', path: ['messages', i, 'train'], message: `a ${m.role} turn cannot be trained` });
      if (m.train_detail && !m.train) ctx.addIssue({ code: 'custom', path: ['messages', i, 'train_detail'], message: 'train_detail on an untrained turn' });
      for (const d of m.train_detail ?? []) {
        if (d.begin_offset > d.end_offset || d.end_offset >= m.content.length) {
          ctx.addIssue({ code: 'custom', path: ['messages', i, 'train_detail'], message: `span [${d.begin_offset}, ${d.end_offset}] is outside the content` });
        }
      }
    });
    if (row.messages[row.messages.length - 1]?.train !== true) ctx.addIssue({ code: 'custom', path: ['messages'], message: 'the last message must be trained' });
  });

/** `rl: dpo`, `type: chat_template.default`: chosen and rejected are single assistant message objects. */
export const axolotlDpoRow = z
  .strictObject({ messages: conversation, chosen: assistantMessage, rejected: assistantMessage })
  .superRefine(conversationCheck('messages', ['optima', 'any'], ALT_USER));
