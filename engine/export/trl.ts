/**
 * TRL (huggingface/trl, docs "Dataset formats and types"), conversational forms only. TRL needs
 * the alternating role style: SFTTrainer's assistant-only / completion-only loss trains every
 * assistant turn, and its DPO prompt handling continues (does not close) a prompt that ends with
 * an assistant turn and rejects one that ends with the system prompt (trl/data_utils.py).
 */
import type { z } from 'zod';
import type { PreferencePair, SftExample } from '../base/examples.ts';
import { datasetCard, TRAIN_TEST, type ExportFormat } from './format.ts';
import { trlDpoImplicitRow, trlDpoRow, trlSftMessagesRow, trlSftPromptCompletionRow } from './schemas.ts';
import { dpoPrompt, sftView, type Opener } from './views.ts';

export type TrlSftMessagesRow = z.infer<typeof trlSftMessagesRow>;
export type TrlSftPromptCompletionRow = z.infer<typeof trlSftPromptCompletionRow>;
export type TrlDpoRow = z.infer<typeof trlDpoRow>;
export type TrlDpoImplicitRow = z.infer<typeof trlDpoImplicitRow>;

export interface TrlOptions {
  /** `messages` (language modeling) or `prompt-completion` (one row per trained turn). Default `messages`. */
  sft?: 'messages' | 'prompt-completion';
  /** `explicit` prompt column, or `implicit` (whole conversations). Default `explicit`. */
  dpo?: 'explicit' | 'implicit';
  opener?: Opener;
}

type AssistantMessage = { role: 'assistant'; content: string };
const assistant = (content: string): AssistantMessage => ({ role: 'assistant', content });
/** A single assistant message as the one-element list TRL expects for chosen/rejected/completion. */
const only = (content: string): [AssistantMessage] => [assistant(content)];

/** One agent view as `{"messages"}`; train it with `assistant_only_loss=True`. */
export function trlSftMessages(ex: SftExample, opener: Opener = ''): TrlSftMessagesRow {
  return { messages: sftView(ex, 'alternating', opener).messages };
}

/** One row per trained turn: the conversation before it, and the turn as the completion. */
export function trlSftPromptCompletion(ex: SftExample, opener: Opener = ''): TrlSftPromptCompletionRow[] {
  const { messages } = sftView(ex, 'alternating', opener);
  return messages.flatMap((m, i) => (m.role === 'assistant' ? [{ prompt: messages.slice(0, i), completion: only(m.content) }] : []));
}

export function trlDpo(pair: PreferencePair, opener: Opener = ''): TrlDpoRow {
  return { prompt: dpoPrompt(pair, 'alternating', opener), chosen: only(pair.chosen), rejected: only(pair.rejected) };
}

export function trlDpoImplicit(pair: PreferencePair, opener: Opener = ''): TrlDpoImplicitRow {
  const prompt = dpoPrompt(pair, 'alternating', opener);
  return { chosen: [...prompt, assistant(pair.chosen)], rejected: [...prompt, assistant(pair.rejected)] };
}

export function trlFormat(opts: TrlOptions = {}): ExportFormat {
  const sft = opts.sft ?? 'messages';
  const dpo = opts.dpo ?? 'explicit';
  const opener = opts.opener ?? '';
  return {
    name: 'trl',
    dpoRow: (p) => (dpo === 'explicit' ? trlDpo(p, opener) : trlDpoImplicit(p, opener)),
    sftRows: (ex) => (sft === 'messages' ? [trlSftMessages(ex, opener)] : trlSftPromptCompletion(ex, opener)),
    schemas: { dpo: dpo === 'explicit' ? trlDpoRow : trlDpoImplicitRow, sft: sft === 'messages' ? trlSftMessagesRow : trlSftPromptCompletionRow },
    splits: TRAIN_TEST,
    extraFiles: () => ({}),
    readme: () => datasetCard(TRAIN_TEST, trlReadme(sft, dpo)),
  };
}

function trlReadme(sft: 'messages' | 'prompt-completion', dpo: 'explicit' | 'implicit'): string {
  const sftLoss =
    sft === 'messages'
      ? "Set `SFTConfig(assistant_only_loss=True)` so only the agent's (assistant) turns are trained. It needs a chat template with `{% generation %}` markers; without it TRL trains every token, the partner's turns included."
      : 'Each row is one trained turn; TRL trains only the completion of prompt-completion rows (`completion_only_loss`, on by default).';
  return `# dits datasets for TRL

Role style **alternating**: in each row the trained agent's turns are \`assistant\` and every other agent's turns are \`user\` (consecutive ones merged). An agent turn with no partner turn before it follows an opener user turn. Serve the trained model with the same view.

- \`dpo_train.jsonl\`, \`dpo_test.jsonl\`: conversational preference, ${dpo === 'explicit' ? '`prompt` / `chosen` / `rejected` (chosen and rejected are one assistant message each)' : 'implicit prompt: `chosen` / `rejected` are whole conversations that differ in their last message'}.
- \`sft_train.jsonl\`, \`sft_test.jsonl\`: ${sft === 'messages' ? 'conversational language modeling, `messages`, one row per agent view, ending with the agent\'s last turn' : 'conversational prompt-completion, `prompt` / `completion`, one row per trained turn'}.

\`\`\`python
from datasets import load_dataset
dpo = load_dataset("path/to/this/folder", "dpo")  # splits: train, test
sft = load_dataset("path/to/this/folder", "sft")
# DPOTrainer(..., train_dataset=dpo["train"], eval_dataset=dpo["test"])
# SFTTrainer(..., train_dataset=sft["train"], eval_dataset=sft["test"])
\`\`\`

${sftLoss}
`;
}
