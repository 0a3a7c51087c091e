/**
 * HotpotQA and 2WikiMultihopQA share a layout: paragraphs `context: [[title, [sentences]]]` and
 * `supporting_facts: [[title, sentence_index]]`, as one JSON array (raw release) or JSONL; the
 * Hugging Face export turns both into struct-of-lists columns. A paragraph is supporting when its
 * title appears among the supporting facts.
 */
import type { ContextPiece, Task } from '../task.ts';
import { asArray, asInteger, asObject, asRow, asString, asStrings, asText, fail, item, optional, sameLength, taskId, type JsonObject } from './fields.ts';
import { jsonRows, type Loader } from './rows.ts';

interface Paragraphs {
  titles: string[];
  sentences: string[][];
  supportingTitles: Set<string>;
}

/** `[a, b]` pairs of the raw release. */
function pair(value: unknown, field: string): [unknown, unknown] {
  const p = asArray(value, field);
  if (p.length !== 2) fail(field, `expected a [title, ...] pair, got ${p.length} elements`);
  return [p[0], p[1]];
}

function raw(r: JsonObject): Paragraphs {
  const context = asArray(r.context, 'context').map((p, i) => pair(p, item('context', i)));
  const facts = asArray(r.supporting_facts, 'supporting_facts').map((f, i) => {
    const [title, sentence] = pair(f, item('supporting_facts', i));
    asInteger(sentence, item(item('supporting_facts', i), 1));
    return asString(title, item(item('supporting_facts', i), 0));
  });
  return {
    titles: context.map(([title], i) => asString(title, item(item('context', i), 0))),
    sentences: context.map(([, sentences], i) => asStrings(sentences, item(item('context', i), 1))),
    supportingTitles: new Set(facts),
  };
}

function huggingFace(r: JsonObject): Paragraphs {
  const context = asObject(r.context, 'context');
  const titles = asStrings(context.title, 'context.title');
  const sentences = asArray(context.sentences, 'context.sentences').map((s, i) => asStrings(s, item('context.sentences', i)));
  sameLength('context', { title: titles, sentences });
  const facts = asObject(r.supporting_facts, 'supporting_facts');
  const factTitles = asStrings(facts.title, 'supporting_facts.title');
  const factSentences = asArray(facts.sent_id, 'supporting_facts.sent_id').map((s, i) => asInteger(s, item('supporting_facts.sent_id', i)));
  sameLength('supporting_facts', { title: factTitles, sent_id: factSentences });
  return { titles, sentences, supportingTitles: new Set(factTitles) };
}

function multihop(dataset: 'hotpotqa' | '2wiki'): Loader {
  return {
    rows: jsonRows,
    toTask(value, row): Task {
      const r = asRow(value);
      const question = asText(r.question, 'question');
      const answer = asText(r.answer, 'answer');
      const { titles, sentences, supportingTitles } = Array.isArray(r.context) ? raw(r) : huggingFace(r);
      const context: ContextPiece[] = titles.map((title, i) => ({
        title,
        sentences: sentences[i] ?? [],
        supporting: supportingTitles.has(title),
      }));
      const type = optional(r.type, 'type', asString);
      const level = optional(r.level, 'level', asString);
      return {
        id: taskId(r, ['_id', 'id'], `${dataset}-${row.index}`),
        dataset,
        question,
        answers: [answer],
        context,
        meta: { ...(type !== undefined ? { type } : {}), ...(level !== undefined ? { level } : {}) },
      };
    },
  };
}

export const hotpotqa = multihop('hotpotqa');
export const twoWiki = multihop('2wiki');
