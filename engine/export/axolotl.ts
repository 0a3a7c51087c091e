/**
 * axolotl (axolotl-ai-cloud/axolotl docs/dataset-formats/conversation.qmd, docs/rlhf.qmd,
 * src/axolotl/prompt_strategies/chat_template.py, dpo/chat_template.py).
 *
 * SFT: `type: chat_template` with a per-message `train` flag (`message_field_training`), which
 * decides the loss whatever the role, so both role styles train exactly the agent's turns; the
 * default is alternating, for chat templates that demand it. With `maskNamePrefix` (default on) a
 * `train_detail` span also leaves the `Name:` prefix out of the loss, as Optima's collator does
 * (§2.2). Turns after the agent's last one are dropped: untrained, and axolotl wants a trained
 * last turn. DPO: `type: chat_template.default`, `messages` the prompt, `chosen` / `rejected` one
 * assistant message object each.
 */
import { Document } from 'yaml';
import type { z } from 'zod';
import type { PreferencePair, SftExample } from '../base/examples.ts';
import { datasetCard, FILES, TRAIN_TEST, type ExportFormat } from './format.ts';
import { axolotlDpoRow, axolotlSftRow } from './schemas.ts';
import { dpoPrompt, namePrefix, sftView, trimUntrainedTail, type Opener, type RoleStyle } from './views.ts';

export type AxolotlSftRow = z.infer<typeof axolotlSftRow>;
export type AxolotlDpoRow = z.infer<typeof axolotlDpoRow>;

export interface AxolotlOptions {
  /** Default `alternating`. */
  roles?: RoleStyle;
  opener?: Opener;
  /** Leave each trained turn's `Name:` prefix out of the loss. Default true. */
  maskNamePrefix?: boolean;
}

type AxolotlMessage = AxolotlSftRow['messages'][number];

/** Spans (end inclusive) that train everything after the prefix, or undefined when there is nothing to split. */
function prefixMask(content: string, prefix: string): AxolotlMessage['train_detail'] {
  if (!content.startsWith(prefix) || content.length === prefix.length) return undefined;
  return [
    { begin_offset: 0, end_offset: prefix.length - 1, train: false },
    { begin_offset: prefix.length, end_offset: content.length - 1, train: true },
  ];
}

export function axolotlSft(ex: SftExample, opts: AxolotlOptions = {}): AxolotlSftRow {
  const view = trimUntrainedTail(sftView(ex, opts.roles ?? 'alternating', opts.opener ?? ''));
  const prefix = namePrefix(ex.agent);
  const messages = view.messages.map((m, i): AxolotlMessage => {
    const train = view.trained[i] === true;
    const detail = train && (opts.maskNamePrefix ?? true) ? prefixMask(m.content, prefix) : undefined;
    return detail ? { role: m.role, content: m.content, train, train_detail: detail } : { role: m.role, content: m.content, train };
  });
  return { messages };
}

export function axolotlDpo(pair: PreferencePair, opts: AxolotlOptions = {}): AxolotlDpoRow {
  return {
    messages: dpoPrompt(pair, opts.roles ?? 'alternating', opts.opener ?? ''),
    chosen: { role: 'assistant', content: pair.chosen },
    rejected: { role: 'assistant', content: pair.rejected },
  };
}

const PROPERTY_MAPPINGS = { role: 'role', content: 'content' };
/** Repeat shared blocks in full: anchors and aliases would puzzle a reader pasting the snippet. */
const NO_ALIASES = { aliasDuplicateObjects: false };

/** A local JSONL file as an axolotl dataset entry (json files load as split `train`). */
function entry(file: string, type: Record<string, unknown>): Record<string, unknown> {
  return { path: file, ds_type: 'json', data_files: [file], split: 'train', ...type };
}

/** The `datasets:` / `test_datasets:` blocks to paste into an axolotl config: an SFT document and a DPO document. */
export function axolotlYaml(maskNamePrefix = true): string {
  const sftType = {
    type: 'chat_template',
    field_messages: 'messages',
    message_property_mappings: PROPERTY_MAPPINGS,
    roles_to_train: [],
    train_on_eos: 'turn',
    message_field_training: 'train',
    ...(maskNamePrefix ? { message_field_training_detail: 'train_detail' } : {}),
  };
  const dpoType = {
    type: 'chat_template.default',
    field_messages: 'messages',
    field_chosen: 'chosen',
    field_rejected: 'rejected',
    message_property_mappings: PROPERTY_MAPPINGS,
    roles: { user: ['user'], assistant: ['assistant'], system: ['system'] },
  };
  const sft = new Document({ datasets: [entry(FILES.sft.train, sftType)], test_datasets: [entry(FILES.sft.test, sftType)] }, NO_ALIASES);
  sft.commentBefore = ' SFT: paste into an axolotl config. Paths are relative: run axolotl from this folder or make them absolute.';
  const dpo = new Document({ rl: 'dpo', datasets: [entry(FILES.dpo.train, dpoType)], test_datasets: [entry(FILES.dpo.test, dpoType)] }, NO_ALIASES);
  dpo.commentBefore = ' DPO: paste into an axolotl config (a separate run from SFT).';
  return `${sft.toString()}---\n${dpo.toString()}`;
}

export function axolotlFormat(opts: AxolotlOptions = {}): ExportFormat {
  const mask = opts.maskNamePrefix ?? true;
  return {
    name: 'axolotl',
    dpoRow: (p) => axolotlDpo(p, opts),
    sftRows: (ex) => [axolotlSft(ex, opts)],
    schemas: { dpo: axolotlDpoRow, sft: axolotlSftRow },
    splits: TRAIN_TEST,
    extraFiles: () => ({ 'axolotl.yaml': axolotlYaml(mask) }),
    readme: () => datasetCard(TRAIN_TEST, axolotlReadme(opts.roles ?? 'alternating', mask)),
  };
}

function axolotlReadme(roles: RoleStyle, mask: boolean): string {
  return `# dits datasets for axolotl

\`axolotl.yaml\` holds the \`datasets:\` and \`test_datasets:\` blocks to paste into your config: the first document for SFT, the second (with \`rl: dpo\`) for DPO.

- \`sft_train.jsonl\` / \`sft_test.jsonl\`: \`messages\`, each with a \`train\` flag that is true exactly on the agent's own turns${mask ? ", which also carry a `train_detail` span leaving the `Name:` prefix out of the loss" : ''}. Role style **${roles}**${roles === 'optima' ? ' (every utterance an assistant turn, as Optima trained; the flags carry the loss mask)' : " (the agent's turns are `assistant`, the others `user`; serve the trained model with the same view)"}.
- \`dpo_train.jsonl\` / \`dpo_test.jsonl\`: \`messages\` (the prompt), \`chosen\` and \`rejected\` (one assistant message object each).
`;
}
