/**
 * TriviaQA: the raw release is one object `{Data: [...], Domain, Version}` of several GB, whose
 * `Data` array is streamed; the Hugging Face `rc` export is JSONL with lower-case, struct-of-lists
 * columns. Answers are the value then its aliases; each search-result snippet is a context piece.
 * The Wikipedia-domain files have no search results: their context is empty.
 */
import type { ContextPiece } from '../task.ts';
import { asArray, asObject, asRow, asString, asStrings, asText, item, key, optional, sameLength, taskId, uniqueAnswers, type JsonObject } from './fields.ts';
import { jsonArrayRows, jsonRows, peek, type Loader } from './rows.ts';

/**
 * Whether the file is the raw `{Data: [...]}` object rather than JSON Lines. A JSONL row parses on
 * its own first line and has no `Data`; the raw object is pretty-printed (a bare `{` on line one)
 * or one huge line whose first key is `Data` (the release sorts its keys).
 */
function isRawObject(head: string): boolean {
  const text = head.trimStart();
  if (!text.startsWith('{')) return false;
  const newline = text.indexOf('\n');
  if (newline >= 0) {
    const first = text.slice(0, newline).trim();
    try {
      const row = JSON.parse(first) as unknown;
      return typeof row === 'object' && row !== null && 'Data' in row;
    } catch {
      if (first === '{') return true;
    }
  }
  return /^\{\s*"Data"\s*:/.test(text);
}

function snippet(title: string | undefined, description: string | undefined): ContextPiece[] {
  return description === undefined || description.trim() === '' ? [] : [{ ...(title ? { title } : {}), sentences: [description], supporting: false }];
}

function raw(r: JsonObject) {
  const answer = asObject(r.Answer, 'Answer');
  const results = optional(r.SearchResults, 'SearchResults', asArray) ?? [];
  return {
    question: asText(r.Question, 'Question'),
    value: asText(answer.Value, 'Answer.Value'),
    aliases: optional(answer.Aliases, 'Answer.Aliases', asStrings) ?? [],
    context: results.flatMap((s, i) => {
      const field = item('SearchResults', i);
      const result = asObject(s, field);
      return snippet(optional(result.Title, key(field, 'Title'), asString), optional(result.Description, key(field, 'Description'), asString));
    }),
  };
}

function huggingFace(r: JsonObject) {
  const answer = asObject(r.answer, 'answer');
  const results = optional(r.search_results, 'search_results', asObject);
  const descriptions = optional(results?.description, 'search_results.description', asStrings) ?? [];
  const titles = optional(results?.title, 'search_results.title', asStrings) ?? [];
  if (titles.length > 0) sameLength('search_results', { description: descriptions, title: titles });
  return {
    question: asText(r.question, 'question'),
    value: asText(answer.value, 'answer.value'),
    aliases: optional(answer.aliases, 'answer.aliases', asStrings) ?? [],
    context: descriptions.flatMap((d, i) => snippet(titles[i], d)),
  };
}

export const triviaqa: Loader = {
  async *rows(file) {
    yield* isRawObject(await peek(file)) ? jsonArrayRows(file, 'Data') : jsonRows(file);
  },
  toTask(value, row) {
    const r = asRow(value);
    const { question, value: gold, aliases, context } = 'Question' in r ? raw(r) : huggingFace(r);
    return {
      id: taskId(r, ['QuestionId', 'question_id'], `triviaqa-${row.index}`),
      dataset: 'triviaqa',
      question,
      answers: uniqueAnswers(gold, aliases),
      context,
      meta: {},
    };
  },
};
