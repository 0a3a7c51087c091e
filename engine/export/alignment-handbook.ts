/**
 * alignment-handbook (huggingface/alignment-handbook; the copy vendored in thunlp/Optima), in the
 * shape Optima writes (thunlp/Optima dataloader/dataloader.py): SFT rows are `{"messages"}`; DPO
 * rows are `{"chosen","rejected"}`, whole conversations, and the handbook takes chosen[:-1] as the
 * prompt. Optima's MCTS pipeline writes no `prompt` column, and Optima's handbook would template a
 * message-list `prompt` *and* the whole chosen conversation, so none is written.
 *
 * Default role style `optima` (every utterance an assistant turn), exactly as Optima trained. Its
 * SFT loss mask is Optima's collator (alignment-handbook/mask/mask.py), which trains the assistant
 * turns that begin with the agent's `Name:`; the converter refuses an example whose trained flags
 * disagree with those prefixes.
 */
import type { z } from 'zod';
import type { PreferencePair, SftExample } from '../base/examples.ts';
import { datasetCard, type ExportFormat, type SplitNames } from './format.ts';
import { handbookDpoRow, handbookSftRow } from './schemas.ts';
import { dpoPrompt, ExportError, namePrefix, sftView, type Opener, type RoleStyle } from './views.ts';

export type HandbookSftRow = z.infer<typeof handbookSftRow>;
export type HandbookDpoRow = z.infer<typeof handbookDpoRow>;

export interface HandbookOptions {
  /** Default `optima`. */
  roles?: RoleStyle;
  opener?: Opener;
}

/** The handbook's split naming (e.g. HuggingFaceH4/ultrafeedback_binarized); its loader accepts any name containing train/test. */
export const HANDBOOK_SPLITS: SplitNames = {
  dpo: { train: 'train_prefs', test: 'test_prefs' },
  sft: { train: 'train_sft', test: 'test_sft' },
};

/** Optima's collator trains exactly the utterances that start with the agent's `Name:`. */
function checkOptimaMask(ex: SftExample): void {
  const prefix = namePrefix(ex.agent);
  ex.messages.forEach((m, i) => {
    if (i > 0 && ex.trained[i] !== m.content.startsWith(prefix)) {
      throw new ExportError(
        `SFT example (task ${ex.taskId}, agent ${ex.agent}): message ${i} is ${ex.trained[i] ? '' : 'not '}trained but ${ex.trained[i] ? 'does not start' : 'starts'} with '${prefix}'; Optima's loss mask finds the agent's turns by that prefix`,
      );
    }
  });
}

export function handbookSft(ex: SftExample, opts: HandbookOptions = {}): HandbookSftRow {
  const roles = opts.roles ?? 'optima';
  const view = sftView(ex, roles, opts.opener ?? '');
  if (roles === 'optima') checkOptimaMask(ex);
  return { messages: view.messages };
}

export function handbookDpo(pair: PreferencePair, opts: HandbookOptions = {}): HandbookDpoRow {
  const prompt = dpoPrompt(pair, opts.roles ?? 'optima', opts.opener ?? '');
  return {
    chosen: [...prompt, { role: 'assistant', content: pair.chosen }],
    rejected: [...prompt, { role: 'assistant', content: pair.rejected }],
  };
}

export function handbookFormat(opts: HandbookOptions = {}): ExportFormat {
  return {
    name: 'alignment-handbook',
    dpoRow: (p) => handbookDpo(p, opts),
    sftRows: (ex) => [handbookSft(ex, opts)],
    schemas: { dpo: handbookDpoRow, sft: handbookSftRow },
    splits: HANDBOOK_SPLITS,
    extraFiles: () => ({}),
    readme: () => datasetCard(HANDBOOK_SPLITS, handbookReadme(opts.roles ?? 'optima')),
  };
}

function handbookReadme(roles: RoleStyle): string {
  const loss =
    roles === 'optima'
      ? "Role style **optima**: the system prompt, then every utterance as an `assistant` turn, as Optima trained. The handbook's stock SFT trains every token; Optima's collator (`alignment-handbook/mask/mask.py` in thunlp/Optima) trains only the turns that start with the agent's `Name:`. That collator hard-codes the names Alice and Bob and system prompts that start `You are <Name>`."
      : "Role style **alternating**: the trained agent's turns are `assistant`, the others `user`. Use a handbook version whose SFT trains assistant turns only.";
  return `# dits datasets for the alignment-handbook

- \`dpo_train.jsonl\` / \`dpo_test.jsonl\` (splits \`train_prefs\` / \`test_prefs\`): \`chosen\` and \`rejected\` are whole conversations that differ in their last message; the handbook takes \`chosen[:-1]\` as the prompt.
- \`sft_train.jsonl\` / \`sft_test.jsonl\` (splits \`train_sft\` / \`test_sft\`): \`messages\`, one row per agent view.

${loss}

Recipe (the \`dataset_mixer\` handbook, as vendored by Optima):

\`\`\`yaml
dataset_mixer:
  path/to/this/folder: 1.0
dataset_configs: [dpo]            # SFT: [sft]
dataset_splits: [train_prefs, test_prefs]   # SFT: [train_sft, test_sft]
\`\`\`

Handbook versions with \`dataset_mixture\`: one entry with \`id: path/to/this/folder\`, \`config: dpo\` (or \`sft\`) and \`split: train_prefs\` (or \`train_sft\`).
`;
}
