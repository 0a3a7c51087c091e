/**
 * Children's Book Test: the raw text gives each example as 20 numbered story lines, a 21st line
 * `query<TAB>answer<TAB><TAB>c1|...|c10`, and a blank line; the Hugging Face export is
 * `{sentences[20], question, answer, options[10]}`. The story is one supporting piece.
 */
import type { Task } from '../task.ts';
import { RowProblem } from './errors.ts';
import { asRow, asStrings, asText, fail, type JsonObject } from './fields.ts';
import { jsonRows, peek, readLines, type Loader, type SourceRow } from './rows.ts';

const STORY_LINES = 20;

/** One example of the raw text: its lines, as far as the query line. */
class Example {
  readonly lines: { line: number; text: string }[] = [];
  /** Where the first line past the query line is (a missing blank line); later ones are not kept, so memory stays flat. */
  overflow?: number;
}

/** Examples of the raw text: runs of non-blank lines. */
async function* textRows(file: string): AsyncGenerator<SourceRow> {
  let example = new Example();
  let index = 0;
  const flush = function* (): Generator<SourceRow> {
    if (example.lines.length === 0) return;
    const done = example;
    const row = index++;
    yield { place: { file, line: done.lines[0]?.line ?? 0, index: row }, index: row, read: () => done };
    example = new Example();
  };
  for await (const line of readLines(file)) {
    if (line.text.trim() === '') yield* flush();
    else if (example.lines.length <= STORY_LINES) example.lines.push(line);
    else example.overflow ??= line.line;
  }
  yield* flush();
}

function at(line: number, field: string, message: string): never {
  throw new RowProblem(field, message, line);
}

function fromText({ lines, overflow }: Example, index: number): Task {
  const bodies = lines.map(({ line, text }, i) => {
    const m = text.match(/^(\d+)(?: (.*))?$/);
    if (!m || Number(m[1]) !== i + 1) at(line, `line ${i + 1}`, `expected a line numbered ${i + 1}, got '${text.slice(0, 40)}'`);
    return m[2] ?? '';
  });
  const queryLine = lines[STORY_LINES];
  if (queryLine === undefined) {
    return at(lines.at(-1)?.line ?? 0, `line ${lines.length + 1}`, `example ends after ${lines.length} lines, expected ${STORY_LINES} story lines and a query line`);
  }
  if (overflow !== undefined) at(overflow, `line ${STORY_LINES + 2}`, 'expected a blank line after the query line');
  return query(bodies[STORY_LINES] ?? '', queryLine.line, bodies.slice(0, STORY_LINES), index);
}

function query(text: string, line: number, sentences: string[], index: number): Task {
  const parts = text.split('\t');
  if (parts.length !== 4) at(line, 'query', `expected 'query<TAB>answer<TAB><TAB>candidates', got ${parts.length} tab-separated parts`);
  const [question = '', answer = '', , candidates = ''] = parts;
  if (question.trim() === '') at(line, 'query', 'empty query');
  const options = candidates.split('|');
  if (!options.includes(answer)) at(line, 'answer', `answer '${answer}' is not among the candidates ${options.join('|')}`);
  return task(question, answer, options, sentences, index);
}

function fromJson(r: JsonObject, index: number): Task {
  const sentences = asStrings(r.sentences, 'sentences');
  if (sentences.length !== STORY_LINES) fail('sentences', `expected ${STORY_LINES} sentences, got ${sentences.length}`);
  const options = asStrings(r.options, 'options');
  const answer = asText(r.answer, 'answer');
  if (!options.includes(answer)) fail('answer', `answer '${answer}' is not among the options`);
  return task(asText(r.question, 'question'), answer, options, sentences, index);
}

function task(question: string, answer: string, options: string[], sentences: string[], index: number): Task {
  return {
    id: `cbt-${index}`,
    dataset: 'cbt',
    question,
    answers: [answer],
    options,
    context: [{ sentences, supporting: true }],
    meta: {},
  };
}

export const cbt: Loader = {
  async *rows(file) {
    yield* /^[[{]/.test((await peek(file)).trimStart()) ? jsonRows(file) : textRows(file);
  },
  toTask(value, row) {
    return value instanceof Example ? fromText(value, row.index) : fromJson(asRow(value), row.index);
  },
};
