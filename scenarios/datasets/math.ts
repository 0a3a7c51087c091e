/**
 * MATH: JSONL rows `{problem, level, type|subject, solution, answer?, unique_id?}` (Hendrycks'
 * columns, or the PRM800K/MATH-500 ones with the answer spelled out), or Hendrycks' tarball
 * layout, a directory tree of one `.json` file per problem.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { extractBoxed } from '../answers.ts';
import { asInteger, asRow, asString, asText, fail, optional, taskId } from './fields.ts';
import { isDirectory, jsonRows, parseJson, type Loader, type SourceRow } from './rows.ts';

/**
 * Problem files in sorted path order, so row order and ids do not depend on the file system.
 * Only the list of names is held; each file is read when its row is reached.
 */
async function* directoryRows(dir: string): AsyncGenerator<SourceRow> {
  const names = (await readdir(dir, { recursive: true })).filter((n) => n.endsWith('.json')).sort();
  for (const [index, name] of names.entries()) {
    const file = join(dir, name);
    const text = await readFile(file, 'utf8');
    yield { place: { file }, index, key: name.split(sep).join('/'), read: () => parseJson(text) };
  }
}

/** "Level 3" becomes 3; other spellings (the train set has "Level ?") are kept as they are. */
function level(value: unknown): number | string | undefined {
  if (typeof value === 'number') return asInteger(value, 'level');
  const text = optional(value, 'level', asString);
  const m = text?.match(/^Level (\d)$/);
  return m ? Number(m[1]) : text;
}

export const math: Loader = {
  async *rows(path) {
    yield* (await isDirectory(path)) ? directoryRows(path) : jsonRows(path);
  },
  toTask(value, row) {
    const r = asRow(value);
    const question = asText(r.problem, 'problem');
    const solution = asString(r.solution, 'solution');
    const gold = r.answer !== undefined ? asText(r.answer, 'answer') : extractBoxed(solution);
    if (gold.trim() === '') fail('solution', 'no brace-balanced \\boxed{...} answer');
    const subject = optional(r.type ?? r.subject, r.type !== undefined ? 'type' : 'subject', asString);
    const lvl = level(r.level);
    return {
      id: taskId(r, ['unique_id', 'id'], row.key ?? `math-${row.index}`),
      dataset: 'math',
      question,
      answers: [gold],
      context: [],
      meta: { ...(lvl !== undefined ? { level: lvl } : {}), ...(subject !== undefined ? { subject } : {}), solution },
    };
  },
};
