/**
 * Writes dits' preference pairs and SFT examples as datasets that trainers read:
 * `<dir>/<format>/{dpo,sft}_{train,test}.jsonl` plus a README.md per folder (and
 * `dataset_info.json` for LLaMA-Factory, `axolotl.yaml` for axolotl).
 *
 * Deterministic: the same inputs give byte-identical files (fixed key order, seeded split, no
 * clock). All or nothing: everything is written into a staging folder inside `dir`, every row is
 * checked against its trainer's schema on the way, and files move into place only when all of
 * them are complete, so an error leaves no new file behind.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PreferencePair, SftExample } from '../base/examples.ts';
import { JsonlWriter, writeFileAtomic } from '../storage/files.ts';
import { axolotlFormat, type AxolotlOptions } from './axolotl.ts';
import { handbookFormat, type HandbookOptions } from './alignment-handbook.ts';
import { FILES, TRAINER_FORMATS, type DatasetKind, type ExportFormat, type TrainerFormat } from './format.ts';
import { llamaFactoryFormat, type LlamaFactoryOptions } from './llama-factory.ts';
import { openrlhfFormat } from './openrlhf.ts';
import { splitTrainTest, type Split, type SplitMode } from './split.ts';

/** The held-out shares of the exported datasets: DPO 90/10 (§2.3), SFT 98/2 (§2.2). */
export const DPO_TEST_FRACTION = 0.1;
export const SFT_TEST_FRACTION = 0.02;
import { trlFormat, type TrlOptions } from './trl.ts';
import { ExportError, type Opener } from './views.ts';

export { TRAINER_FORMATS, type TrainerFormat } from './format.ts';
export { ExportError } from './views.ts';
import type { IndexedSource } from '../storage/spill.ts';

/** Per-format choices; the opener is shared and given once in WriteDatasetsOptions. */
export interface FormatOptions {
  trl?: Omit<TrlOptions, 'opener'>;
  'alignment-handbook'?: Omit<HandbookOptions, 'opener'>;
  'llama-factory'?: Omit<LlamaFactoryOptions, 'opener'>;
  axolotl?: Omit<AxolotlOptions, 'opener'>;
}

export interface WriteDatasetsOptions {
  pairs: readonly PreferencePair[] | IndexedSource<PreferencePair>;
  sft: readonly SftExample[] | IndexedSource<SftExample>;
  /** Default: every format. */
  formats?: readonly TrainerFormat[];
  seed: number;
  /** Default { dpo: DPO_TEST_FRACTION, sft: SFT_TEST_FRACTION } (§2.2, §2.3). */
  testFraction?: { dpo: number; sft: number };
  /** Default `seeded`; `file-order` is Optima's first-90%/last-10% split. */
  split?: SplitMode;
  /** Text of the user turn before an agent turn that no partner turn precedes (views.ts). Default ''. */
  opener?: Opener;
  options?: FormatOptions;
}

export interface DatasetSummary {
  /** Pairs and SFT examples on each side of the split (the same for every format). */
  split: Record<DatasetKind, { train: number; test: number }>;
  /** Rows written per JSONL file, keyed `<format>/<file>`. */
  files: Record<string, number>;
}

export function exportFormat(name: TrainerFormat, opener: Opener = '', options: FormatOptions = {}): ExportFormat {
  switch (name) {
    case 'trl':
      return trlFormat({ ...options.trl, opener });
    case 'alignment-handbook':
      return handbookFormat({ ...options['alignment-handbook'], opener });
    case 'openrlhf':
      return openrlhfFormat({ opener });
    case 'llama-factory':
      return llamaFactoryFormat({ ...options['llama-factory'], opener });
    case 'axolotl':
      return axolotlFormat({ ...options.axolotl, opener });
  }
}

/** Converts, checks and writes one JSONL file; returns its row count. */
/** `indices` read through `get`, one at a time. */
function* byIndex<T>(indices: readonly number[], get: (i: number) => T): Iterable<T> {
  for (const i of indices) yield get(i);
}

async function writeRows<T>(file: string, items: Iterable<T>, toRows: (item: T) => object[], format: ExportFormat, kind: DatasetKind): Promise<number> {
  const writer = new JsonlWriter(file);
  let count = 0;
  try {
    for (const item of items) {
      for (const row of toRows(item)) {
        const checked = format.schemas[kind].safeParse(row);
        if (!checked.success) {
          const issues = checked.error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`).join('; ');
          throw new ExportError(`${format.name} ${kind} row ${count + 1} does not match the ${format.name} schema: ${issues}`);
        }
        await writer.write(row);
        count++;
      }
    }
  } finally {
    // Closing renames the partial file inside the staging folder; a failed run deletes that folder.
    await writer.close();
  }
  return count;
}

function getter<T>(items: readonly T[] | IndexedSource<T>): (i: number) => T {
  return Array.isArray(items) ? (i) => items[i] as T : (i) => (items as IndexedSource<T>).get(i);
}

export async function writeDatasets(dir: string, opts: WriteDatasetsOptions): Promise<DatasetSummary> {
  const formats = opts.formats ?? TRAINER_FORMATS;
  const unknown = formats.filter((f) => !(TRAINER_FORMATS as readonly string[]).includes(f));
  if (unknown.length > 0) throw new ExportError(`unknown trainer format(s) ${unknown.join(', ')} (known: ${TRAINER_FORMATS.join(', ')})`);
  if (new Set(formats).size !== formats.length) throw new ExportError(`a trainer format is listed twice: ${formats.join(', ')}`);

  const fractions = opts.testFraction ?? { dpo: DPO_TEST_FRACTION, sft: SFT_TEST_FRACTION };
  const mode = opts.split ?? 'seeded';
  const getPair = getter(opts.pairs);
  const getSft = getter(opts.sft);
  // The split permutes positions (a shuffle depends on the length only), so items on disk are read one at a time.
  const positions = (n: number) => Array.from({ length: n }, (_, i) => i);
  const splits: { dpo: Split<number>; sft: Split<number> } = {
    dpo: splitTrainTest(positions(opts.pairs.length), fractions.dpo, opts.seed, 'dpo', mode),
    sft: splitTrainTest(positions(opts.sft.length), fractions.sft, opts.seed, 'sft', mode),
  };

  mkdirSync(dir, { recursive: true });
  const staging = mkdtempSync(join(dir, '.dits-export-'));
  const written: string[] = [];
  const files: Record<string, number> = {};
  try {
    for (const name of formats) {
      const format = exportFormat(name, opts.opener ?? '', opts.options);
      for (const side of ['train', 'test'] as const) {
        const rel = `${name}/${FILES.dpo[side]}`;
        files[rel] = await writeRows(join(staging, rel), byIndex(splits.dpo[side], getPair), (p) => [format.dpoRow(p)], format, 'dpo');
        written.push(rel);
      }
      for (const side of ['train', 'test'] as const) {
        const rel = `${name}/${FILES.sft[side]}`;
        files[rel] = await writeRows(join(staging, rel), byIndex(splits.sft[side], getSft), (ex) => format.sftRows(ex), format, 'sft');
        written.push(rel);
      }
      for (const [file, content] of Object.entries({ 'README.md': format.readme(), ...format.extraFiles() })) {
        writeFileAtomic(join(staging, name, file), content);
        written.push(`${name}/${file}`);
      }
    }
    for (const rel of written) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      renameSync(join(staging, rel), join(dir, rel));
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return {
    split: {
      dpo: { train: splits.dpo.train.length, test: splits.dpo.test.length },
      sft: { train: splits.sft.train.length, test: splits.sft.test.length },
    },
    files,
  };
}
