/**
 * MMLU: Hendrycks' headerless CSV `question,A,B,C,D,answer_letter`, or the Hugging Face export
 * `{question, subject, choices[4], answer: int}`. The gold is the text of the keyed choice.
 */
import { createReadStream } from 'node:fs';
import { CsvError, parse } from 'csv-parse';
import type { Task } from '../task.ts';
import { DatasetError } from './errors.ts';
import { asInteger, asObject, asRow, asString, asStrings, asText, fail, item, optional, type JsonObject } from './fields.ts';
import { excerpt, jsonRows, peek, type Loader, type SourceRow } from './rows.ts';

const LETTERS = ['A', 'B', 'C', 'D'];
const CSV_COLUMNS = ['question', ...LETTERS, 'answer'];

/** csv-parse's complaint in plain words, with any quoted text escaped and cut short. */
function csvProblem(err: CsvError): string {
  const e = err as CsvError & { column?: number; field?: string; quoting?: boolean };
  const field = typeof e.column === 'number' ? ` (field ${e.column + 1})` : '';
  switch (e.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'the record starting here opens a quoted field that is never closed (the file ends first)';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return `text follows a closing quote${field}: inside a quoted field, write a quote as two ("")`;
    default:
      return `invalid CSV${field}: ${excerpt(e.message.replace(/, value is .*$/s, ''), 120)}${typeof e.field === 'string' ? ` near "${excerpt(e.field)}"` : ''}`;
  }
}

/**
 * Records of a CSV file; a record's place is its first line (quoted fields may span lines).
 * A quote inside an unquoted field is kept as text, as Python's csv module (which wrote the
 * released MMLU files) reads it.
 */
async function* csvRows(file: string): AsyncGenerator<SourceRow> {
  const input = createReadStream(file);
  const records = input.pipe(parse({ relax_column_count: true, relax_quotes: true, skip_empty_lines: true, bom: true, info: true }));
  let index = 0;
  // The line after the last whole record: where an unclosed quote's record starts.
  let next = 1;
  try {
    for await (const { record, info } of records as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      // csv-parse reports the line a record ends on; count back over the newlines inside its fields.
      const line = info.lines - record.reduce((n, f) => n + (f.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
      next = info.lines + 1;
      const row = index++;
      yield { place: { file, line, index: row }, index: row, read: () => record };
    }
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    // A quoting error leaves the parser unable to find where the next record starts.
    const line = err.code === 'CSV_QUOTE_NOT_CLOSED' ? next : (err as { lines?: number }).lines;
    throw new DatasetError({ file, ...(line !== undefined ? { line } : {}) }, csvProblem(err));
  } finally {
    input.destroy();
    records.destroy();
  }
}

function fromCsv(record: string[], index: number): Task {
  if (record.length !== CSV_COLUMNS.length) {
    fail(undefined, `expected ${CSV_COLUMNS.length} columns (${CSV_COLUMNS.join(',')}), got ${record.length}`);
  }
  const [question = '', a = '', b = '', c = '', d = '', letter = ''] = record;
  const options = [a, b, c, d];
  const at = LETTERS.indexOf(letter.trim().toUpperCase());
  if (at < 0) fail('answer', `expected one of the letters ${LETTERS.join(', ')}, got '${letter}'`);
  return { id: `mmlu-${index}`, dataset: 'mmlu', question: asText(question, 'question'), answers: [asText(options[at], LETTERS[at] as string)], options, context: [], meta: {} };
}

/** cais/mmlu's auxiliary_train rows come wrapped in a `train` column. */
function unwrap(r: JsonObject): JsonObject {
  return r.question === undefined && r.train !== undefined ? asObject(r.train, 'train') : r;
}

function fromJson(value: unknown, index: number): Task {
  const r = unwrap(asRow(value));
  const question = asText(r.question, 'question');
  const choices = asStrings(r.choices, 'choices');
  if (choices.length !== LETTERS.length) fail('choices', `expected ${LETTERS.length} choices, got ${choices.length}`);
  const answer = asInteger(r.answer, 'answer');
  if (answer < 0 || answer >= choices.length) fail('answer', `expected a choice index 0-${choices.length - 1}, got ${answer}`);
  const subject = optional(r.subject, 'subject', asString);
  return {
    id: `mmlu-${index}`,
    dataset: 'mmlu',
    question,
    answers: [asText(choices[answer], item('choices', answer))],
    options: choices,
    context: [],
    meta: subject ? { subject } : {},
  };
}

export const mmlu: Loader = {
  async *rows(file) {
    const head = await peek(file);
    // HF exports are JSON; a CSV row starts with a question, quoted or not.
    const json = !file.toLowerCase().endsWith('.csv') && /^[[{]/.test(head.trimStart());
    yield* json ? jsonRows(file) : csvRows(file);
  },
  toTask(value, row) {
    const isRecord = Array.isArray(value) && value.every((v) => typeof v === 'string');
    return isRecord ? fromCsv(value, row.index) : fromJson(value, row.index);
  },
};
