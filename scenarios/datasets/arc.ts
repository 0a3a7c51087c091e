/**
 * ARC: AI2's JSONL `{id, question: {stem, choices: [{text, label}]}, answerKey}` or the Hugging
 * Face export `{id, question, choices: {text[], label[]}, answerKey}`. Labels are letters or
 * digits and a question has 3 to 5 choices; the gold is the text of the keyed choice.
 */
import { asArray, asObject, asRow, asString, asStrings, asText, item, keyIndex, key, sameLength, taskId, type JsonObject } from './fields.ts';
import { jsonRows, type Loader } from './rows.ts';

interface Choices {
  question: string;
  texts: string[];
  labels: string[];
  textField: (i: number) => string;
}

function ai2(r: JsonObject): Choices {
  const q = asObject(r.question, 'question');
  const choices = asArray(q.choices, 'question.choices').map((c, i) => asObject(c, item('question.choices', i)));
  return {
    question: asText(q.stem, 'question.stem'),
    texts: choices.map((c, i) => asString(c.text, key(item('question.choices', i), 'text'))),
    labels: choices.map((c, i) => asString(c.label, key(item('question.choices', i), 'label'))),
    textField: (i) => key(item('question.choices', i), 'text'),
  };
}

function huggingFace(r: JsonObject): Choices {
  const choices = asObject(r.choices, 'choices');
  const texts = asStrings(choices.text, 'choices.text');
  const labels = asStrings(choices.label, 'choices.label');
  sameLength('choices', { text: texts, label: labels });
  return { question: asText(r.question, 'question'), texts, labels, textField: (i) => item('choices.text', i) };
}

export const arc: Loader = {
  rows: jsonRows,
  toTask(value, row) {
    const r = asRow(value);
    const { question, texts, labels, textField } = typeof r.question === 'object' && r.question !== null ? ai2(r) : huggingFace(r);
    const at = keyIndex(labels, asText(r.answerKey, 'answerKey'), 'answerKey');
    return {
      id: taskId(r, ['id'], `arc-${row.index}`),
      dataset: 'arc',
      question,
      answers: [asText(texts[at], textField(at))],
      options: texts,
      context: [],
      meta: {},
    };
  },
};
