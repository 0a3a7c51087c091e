/**
 * Benchmark dataset loaders: each turns a file in a benchmark's published layout (or its Hugging
 * Face export, told apart row by row) into a stream of Tasks. Files are streamed, never read
 * whole, so a 500 MB HotpotQA train file or a multi-GB TriviaQA file loads in flat memory.
 */
import type { Task } from '../task.ts';
import { arc } from './arc.ts';
import { cbt } from './cbt.ts';
import { DatasetError, RowProblem } from './errors.ts';
import { gsm8k } from './gsm8k.ts';
import { IDENTITY_MAPPING, jsonlLoader, type FieldMapping } from './jsonl.ts';
import { math } from './math.ts';
import { mmlu } from './mmlu.ts';
import { hotpotqa, twoWiki } from './multihop.ts';
import { assertText, isDirectory, type Loader } from './rows.ts';
import { triviaqa } from './triviaqa.ts';

export { DatasetError } from './errors.ts';
export { parseFieldMapping, type FieldMapping } from './jsonl.ts';

const LOADERS = new Map<string, (mapping: FieldMapping | undefined) => Loader>([
  ['gsm8k', () => gsm8k],
  ['math', () => math],
  ['mmlu', () => mmlu],
  ['arc', () => arc],
  ['hotpotqa', () => hotpotqa],
  ['2wiki', () => twoWiki],
  ['triviaqa', () => triviaqa],
  ['cbt', () => cbt],
  ['jsonl', (mapping) => jsonlLoader(mapping ?? IDENTITY_MAPPING)],
]);

export const DATASET_FORMATS: readonly string[] = [...LOADERS.keys()];

export interface LoadOptions {
  /** One of DATASET_FORMATS. */
  format: string;
  /** Skip rows that do not parse instead of throwing at the first (default false). */
  skipBadRows?: boolean;
  /** Called with each skipped row's error when skipBadRows is set. */
  onBadRow?: (err: DatasetError) => void;
  /** Where the task fields are in each row; only for 'jsonl' (default: fields named like a Task's). */
  mapping?: FieldMapping;
  /** Stop after this many tasks, and stop reading the file. */
  limit?: number;
  /** Skip this many good tasks first. */
  offset?: number;
}

function count(file: string, name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new DatasetError({ file }, `${name} must be a non-negative integer, got ${value}`);
  return value;
}

function loaderFor(file: string, opts: LoadOptions): Loader {
  const make = LOADERS.get(opts.format);
  if (make === undefined) throw new DatasetError({ file }, `unknown dataset format '${opts.format}' (known: ${DATASET_FORMATS.join(', ')})`);
  if (opts.mapping !== undefined && opts.format !== 'jsonl') throw new DatasetError({ file }, `a field mapping applies only to format 'jsonl', not '${opts.format}'`);
  return make(opts.mapping);
}

/** The tasks of `file` in file order; a bad row throws a DatasetError naming file, row and field. */
export async function* loadTasks(file: string, opts: LoadOptions): AsyncIterable<Task> {
  const loader = loaderFor(file, opts);
  if (!(await isDirectory(file))) await assertText(file);
  const limit = count(file, 'limit', opts.limit, Infinity);
  let toSkip = count(file, 'offset', opts.offset, 0);
  if (limit === 0) return;
  let yielded = 0;
  for await (const row of loader.rows(file)) {
    let task: Task;
    try {
      task = loader.toTask(row.read(), row);
    } catch (err) {
      if (!(err instanceof RowProblem)) throw err;
      const place = { ...row.place, ...(err.line !== undefined ? { line: err.line } : {}) };
      const bad = new DatasetError({ ...place, ...(err.field !== undefined ? { field: err.field } : {}) }, err.message);
      if (!opts.skipBadRows) throw bad;
      opts.onBadRow?.(bad);
      continue;
    }
    if (toSkip > 0) {
      toSkip--;
      continue;
    }
    yield task;
    if (++yielded >= limit) return;
  }
}
