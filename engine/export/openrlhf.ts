/**
 * OpenRLHF (openrlhf/datasets/reward_dataset.py, sft_dataset.py), chat-template forms, alternating
 * role style: `--multiturn` SFT puts the loss on every assistant message, and a DPO continuation is
 * cut out of `template(prompt + chosen)` after `template(prompt, add_generation_prompt=True)`, so
 * the prompt must end where a new assistant turn begins.
 */
import type { z } from 'zod';
import type { PreferencePair, SftExample } from '../base/examples.ts';
import { datasetCard, TRAIN_TEST, type ExportFormat } from './format.ts';
import { openrlhfDpoRow, openrlhfSftRow } from './schemas.ts';
import { dpoPrompt, sftView, type Opener } from './views.ts';

export type OpenrlhfSftRow = z.infer<typeof openrlhfSftRow>;
export type OpenrlhfDpoRow = z.infer<typeof openrlhfDpoRow>;

export interface OpenrlhfOptions {
  opener?: Opener;
}

/**
 * `prompt` / `chosen` / `rejected` message lists, and `margin` = the Q gap. OpenRLHF reads `margin`
 * for reward-model training (margin loss); DPO ignores it.
 */
export function openrlhfDpo(pair: PreferencePair, opener: Opener = ''): OpenrlhfDpoRow {
  return {
    prompt: dpoPrompt(pair, 'alternating', opener),
    chosen: [{ role: 'assistant', content: pair.chosen }],
    rejected: [{ role: 'assistant', content: pair.rejected }],
    margin: pair.gap,
  };
}

/** The whole agent view, ending with the agent's last turn, for `--input_key messages --multiturn`. */
export function openrlhfSft(ex: SftExample, opener: Opener = ''): OpenrlhfSftRow {
  return { messages: sftView(ex, 'alternating', opener).messages };
}

export function openrlhfFormat(opts: OpenrlhfOptions = {}): ExportFormat {
  const opener = opts.opener ?? '';
  return {
    name: 'openrlhf',
    dpoRow: (p) => openrlhfDpo(p, opener),
    sftRows: (ex) => [openrlhfSft(ex, opener)],
    schemas: { dpo: openrlhfDpoRow, sft: openrlhfSftRow },
    splits: TRAIN_TEST,
    extraFiles: () => ({}),
    readme: () => datasetCard(TRAIN_TEST, README),
  };
}

const README = `# dits datasets for OpenRLHF

Role style **alternating**: the trained agent's turns are \`assistant\`, every other agent's turns \`user\` (consecutive ones merged); an agent turn with no partner turn before it follows an opener user turn. Serve the trained model with the same view.

- \`dpo_train.jsonl\` / \`dpo_test.jsonl\`: \`prompt\` (messages ending with a user turn), \`chosen\` and \`rejected\` (one assistant message each), \`margin\` (the Q gap; read only by reward-model training).
- \`sft_train.jsonl\` / \`sft_test.jsonl\`: \`messages\`, one agent view per row, ending with the agent's last turn.

DPO:

\`\`\`bash
openrlhf.cli.train_dpo ... --dataset path/to/this/folder/dpo_train.jsonl \\
  --eval_dataset path/to/this/folder/dpo_test.jsonl \\
  --prompt_key prompt --chosen_key chosen --rejected_key rejected --apply_chat_template
\`\`\`

SFT (loss on every assistant message, i.e. only the agent's turns):

\`\`\`bash
openrlhf.cli.train_sft ... --dataset path/to/this/folder/sft_train.jsonl \\
  --eval_dataset path/to/this/folder/sft_test.jsonl \\
  --input_key messages --apply_chat_template --multiturn
\`\`\`

\`--eval_dataset\` is the evaluation-file flag of recent OpenRLHF versions; older ones only take \`--eval_split\` of the same dataset.
`;
