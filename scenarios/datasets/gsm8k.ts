/**
 * GSM8K: `{question, answer}` rows, the same in OpenAI's JSONL and the Hugging Face export. The
 * answer is a rationale whose last line is `#### N`.
 */
import { asRow, asText, fail, taskId } from './fields.ts';
import { jsonRows, type Loader } from './rows.ts';

/** Commas between digit groups ("1,000"), which the metric would otherwise count as a mismatch. */
const THOUSANDS = /(?<=\d),(?=\d{3}(?!\d))/g;
/** Calculator annotations `<<48/2=24>>` inserted by the annotation tool, not part of the reasoning. */
const CALCULATOR = /<<.*?>>/g;

export const gsm8k: Loader = {
  rows: jsonRows,
  toTask(value, row) {
    const r = asRow(value);
    const question = asText(r.question, 'question');
    const answer = asText(r.answer, 'answer');
    const cut = answer.lastIndexOf('####');
    if (cut < 0) fail('answer', "no '####' line with the final answer");
    const gold = answer.slice(cut + 4).trim().replace(THOUSANDS, '');
    if (gold === '') fail('answer', "nothing after '####'");
    return {
      id: taskId(r, ['id'], `gsm8k-${row.index}`),
      dataset: 'gsm8k',
      question,
      answers: [gold],
      context: [],
      meta: { solution: answer.slice(0, cut).replace(CALCULATOR, '').trim() },
    };
  },
};
