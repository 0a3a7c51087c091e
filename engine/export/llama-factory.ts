/**
 * LLaMA-Factory ShareGPT format (hiyouga/LLaMA-Factory data/README.md,
 * src/llamafactory/data/converter.py). Its converter drops any row whose turns are not human at
 * odd positions and gpt at even ones, so only the alternating role style exists here: the trained
 * agent's turns are `gpt`, the others `human`, and the system prompt goes to the `system` column.
 * An SFT row ends with the agent's last turn (even count); a preference row's conversations end
 * with a human turn (odd count), then `chosen` / `rejected` are single gpt messages.
 */
import type { z } from 'zod';
import type { PreferencePair, SftExample } from '../base/examples.ts';
import type { ChatMessage } from '../base/model-backend.ts';
import { datasetCard, FILES, TRAIN_TEST, type ExportFormat } from './format.ts';
import { llamaFactoryDatasetInfo, llamaFactoryDpoRow, llamaFactorySftRow } from './schemas.ts';
import { dpoPrompt, sftView, type Opener } from './views.ts';

export type LlamaFactorySftRow = z.infer<typeof llamaFactorySftRow>;
export type LlamaFactoryDpoRow = z.infer<typeof llamaFactoryDpoRow>;
export type LlamaFactoryDatasetInfo = z.infer<typeof llamaFactoryDatasetInfo>;

export interface LlamaFactoryOptions {
  opener?: Opener;
  /** Prefix of the dataset names registered in dataset_info.json. Default `dits`. */
  name?: string;
}

type SharegptTurn = { from: 'human' | 'gpt'; value: string };

/** Splits off the system prompt and renames the roles of an alternating view. */
function sharegpt(messages: readonly ChatMessage[]): { system: string; conversations: SharegptTurn[] } {
  const [system, ...turns] = messages;
  return {
    system: (system as ChatMessage).content,
    conversations: turns.map((m) => ({ from: m.role === 'assistant' ? 'gpt' : 'human', value: m.content })),
  };
}

export function llamaFactorySft(ex: SftExample, opener: Opener = ''): LlamaFactorySftRow {
  const { system, conversations } = sharegpt(sftView(ex, 'alternating', opener).messages);
  return { conversations, system };
}

export function llamaFactoryDpo(pair: PreferencePair, opener: Opener = ''): LlamaFactoryDpoRow {
  const { system, conversations } = sharegpt(dpoPrompt(pair, 'alternating', opener));
  return { conversations, chosen: { from: 'gpt', value: pair.chosen }, rejected: { from: 'gpt', value: pair.rejected }, system };
}

const TAGS = { role_tag: 'from', content_tag: 'value', user_tag: 'human', assistant_tag: 'gpt' } as const;

/** dataset_info.json entries registering the four files as `<name>_dpo_train` and so on. */
export function llamaFactoryDatasetInfoFor(name = 'dits'): LlamaFactoryDatasetInfo {
  const info: LlamaFactoryDatasetInfo = {};
  for (const split of ['train', 'test'] as const) {
    info[`${name}_dpo_${split}`] = {
      file_name: FILES.dpo[split],
      formatting: 'sharegpt',
      ranking: true,
      columns: { messages: 'conversations', system: 'system', chosen: 'chosen', rejected: 'rejected' },
      tags: { ...TAGS },
    };
  }
  for (const split of ['train', 'test'] as const) {
    info[`${name}_sft_${split}`] = {
      file_name: FILES.sft[split],
      formatting: 'sharegpt',
      ranking: false,
      columns: { messages: 'conversations', system: 'system' },
      tags: { ...TAGS },
    };
  }
  return info;
}

export function llamaFactoryFormat(opts: LlamaFactoryOptions = {}): ExportFormat {
  const opener = opts.opener ?? '';
  const name = opts.name ?? 'dits';
  return {
    name: 'llama-factory',
    dpoRow: (p) => llamaFactoryDpo(p, opener),
    sftRows: (ex) => [llamaFactorySft(ex, opener)],
    schemas: { dpo: llamaFactoryDpoRow, sft: llamaFactorySftRow },
    splits: TRAIN_TEST,
    extraFiles: () => ({ 'dataset_info.json': `${JSON.stringify(llamaFactoryDatasetInfoFor(name), null, 2)}\n` }),
    readme: () => datasetCard(TRAIN_TEST, llamaFactoryReadme(name)),
  };
}

function llamaFactoryReadme(name: string): string {
  return `# dits datasets for LLaMA-Factory

ShareGPT format, registered in \`dataset_info.json\` (this folder is the \`dataset_dir\`). The trained agent's turns are \`gpt\`, every other agent's turns \`human\` (consecutive ones merged); the agent's system prompt is the \`system\` column. An agent turn with no partner turn before it follows an opener human turn, so human turns sit at odd positions and gpt turns at even ones. Serve the trained model with the same view.

- \`${name}_dpo_train\` / \`${name}_dpo_test\` (\`ranking: true\`): \`conversations\` ending with a human turn, \`chosen\` / \`rejected\` single gpt messages.
- \`${name}_sft_train\` / \`${name}_sft_test\`: \`conversations\` ending with the agent's last turn; every gpt turn is trained.

\`\`\`yaml
stage: dpo                      # SFT: stage: sft
dataset_dir: path/to/this/folder
dataset: ${name}_dpo_train      # SFT: ${name}_sft_train
eval_dataset: ${name}_dpo_test  # SFT: ${name}_sft_test
template: llama3                # your model's template
\`\`\`
`;
}
