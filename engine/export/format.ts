/**
 * The interface every trainer format implements, and the file layout they share. A format is a
 * pair of pure converters (one pair -> one DPO row; one SFT example -> its SFT rows), the schemas
 * those rows must satisfy, and the small files that tell the trainer how to read them.
 */
import { stringify } from 'yaml';
import type { ZodType } from 'zod';
import type { PreferencePair, SftExample } from '../base/examples.ts';

export const TRAINER_FORMATS = ['trl', 'alignment-handbook', 'openrlhf', 'llama-factory', 'axolotl'] as const;
export type TrainerFormat = (typeof TRAINER_FORMATS)[number];

export type DatasetKind = 'dpo' | 'sft';

/** The four JSONL files of every format folder. */
export const FILES = {
  dpo: { train: 'dpo_train.jsonl', test: 'dpo_test.jsonl' },
  sft: { train: 'sft_train.jsonl', test: 'sft_test.jsonl' },
} as const;

/** Split names a loader sees for each kind (the alignment-handbook wants `train_prefs` and the like). */
export type SplitNames = Record<DatasetKind, { train: string; test: string }>;

export const TRAIN_TEST: SplitNames = { dpo: { train: 'train', test: 'test' }, sft: { train: 'train', test: 'test' } };

export interface ExportFormat {
  readonly name: TrainerFormat;
  dpoRow(pair: PreferencePair): object;
  /** Rows of one SFT example: usually one, one per trained turn for prompt-completion forms. */
  sftRows(example: SftExample): object[];
  readonly schemas: Record<DatasetKind, ZodType>;
  readonly splits: SplitNames;
  /** Files besides the JSONL and README.md (file name -> content). */
  extraFiles(): Record<string, string>;
  /** README.md body: how to point the trainer at this folder. */
  readme(): string;
}

/**
 * README.md with a Hugging Face dataset-card header that maps files to splits, so
 * `load_dataset(folder, "dpo" | "sft")` yields exactly our splits under the format's split names
 * (https://huggingface.co/docs/datasets/repository_structure, "Define your splits and subsets in YAML").
 */
export function datasetCard(splits: SplitNames, body: string): string {
  const configs = (['dpo', 'sft'] as const).map((kind) => ({
    config_name: kind,
    data_files: [
      { split: splits[kind].train, path: FILES[kind].train },
      { split: splits[kind].test, path: FILES[kind].test },
    ],
  }));
  return `---\n${stringify({ configs })}---\n\n${body.trim()}\n`;
}
