/**
 * Phrasings: each move has a few sentence templates with slots. Rendering fills the slots;
 * recognition matches a text back against every template of the family (compiled regexes).
 * Recognition is what lets the model read the dialogue (was the last utterance a challenge?)
 * and score text without context (the readability term).
 */
import type { AnswerFormat } from '../../scenarios/answers.ts';
import { M, MOVE_COUNT } from './moves.ts';

export type Slot = 'fact' | 'facts' | 'ans' | 'partner' | 'steps' | 'chain' | 'step';
export type Family = 'debate' | 'information-exchange';

export interface Template {
  move: number;
  /** Index among the move's phrasings. */
  phrasing: number;
  /** Literal strings and slots, in order. */
  parts: ReadonlyArray<string | { slot: Slot }>;
}

// Phrasing 0 of each move is the greedy (temperature 0) one.
const IE_PHRASINGS: Record<number, string[]> = {
  [M.SHARE_TERSE]: ['Info: {fact}', 'Fact: {fact}', 'I have: {fact}'],
  [M.SHARE_VERBOSE]: [
    'Here is everything I know:\n- {facts}\nWhat do you have?',
    '{partner}, my information:\n- {facts}\nPlease share yours.',
    'Sharing all my facts:\n- {facts}\nYour turn.',
  ],
  [M.ASK]: ['What do you know that could help?', '{partner}, please share your information.', 'I need your facts before answering. What do you have?'],
  [M.ANSWER_TERSE]: ['{ans}', 'Answer: {ans}', 'I think it is {ans}'],
  [M.ANSWER_REASONED]: ['{chain}, so the answer is {ans}', 'Reasoning: {chain}. Answer: {ans}', 'Putting it together: {chain}. {ans}'],
  [M.AGREE]: ['Agreed. {ans}', 'Yes, {ans}', 'I agree with {partner}: {ans}'],
};

const DEBATE_PHRASINGS: Record<number, string[]> = {
  [M.SOLVE_TERSE]: ['{ans}', 'The answer is {ans}.', 'Quick solve: {ans}'],
  [M.SOLVE_STEPWISE]: ['Step by step:\n{steps}\nSo the answer is {ans}.', '{steps}\nFinal answer: {ans}', 'Let me work it out.\n{steps}\nTherefore {ans}.'],
  [M.REVISE]: ["You're right, let me redo it.\n{steps}\nCorrected answer: {ans}", 'Let me check again.\n{steps}\nSo {ans}', 'Revised:\n{steps}\n{ans}'],
  [M.DEFEND]: ['I checked it again and I stand by {ans}', 'My answer stays {ans}', 'I still get {ans}'],
  [M.ASK]: ['Please show your solution step by step.', '{partner}, what is your answer? Show your work.', 'Go ahead and solve it; I will check.'],
  [M.CHALLENGE]: [
    "I don't think that's right. Please recheck your work.",
    'Something is off in your solution. Go through it again.',
    'I disagree with your answer; re-examine the steps.',
  ],
  [M.HINT]: ['Look again at step {step}; the numbers there do not add up.', 'Step {step} looks wrong to me. Redo it carefully.', 'Check step {step} of your solution.'],
  [M.ACCEPT]: ['Your reasoning checks out. {ans}', 'Correct. {ans}', 'I agree: {ans}'],
};

function parseTemplate(move: number, phrasing: number, text: string): Template {
  const parts: Array<string | { slot: Slot }> = [];
  for (const piece of text.split(/(\{[a-z]+\})/)) {
    if (piece === '') continue;
    parts.push(piece.startsWith('{') ? { slot: piece.slice(1, -1) as Slot } : piece);
  }
  return { move, phrasing, parts };
}

function buildTable(family: Family): Template[][] {
  const source = family === 'debate' ? DEBATE_PHRASINGS : IE_PHRASINGS;
  const table: Template[][] = Array.from({ length: MOVE_COUNT }, () => []);
  for (const [move, texts] of Object.entries(source)) {
    table[Number(move)] = texts.map((t, i) => parseTemplate(Number(move), i, t));
  }
  return table;
}

const TABLES: Record<Family, Template[][]> = { debate: buildTable('debate'), 'information-exchange': buildTable('information-exchange') };

/** Phrasings per move: every move of both families has exactly this many (checked below). */
export const PHRASINGS = 3;
for (const table of Object.values(TABLES)) {
  for (const row of table) if (row.length !== 0 && row.length !== PHRASINGS) throw new Error(`a move has ${row.length} phrasings, not ${PHRASINGS}`);
}

/** The template addresses the partner by name: with the speaker's own `Name:` that is two names in one utterance, a format error (§2.1). */
export function namesPartner(t: Template): boolean {
  return t.parts.some((p) => typeof p !== 'string' && p.slot === 'partner');
}

/** The templates of one move in a family ([] when the family does not use the move). */
export function phrasings(family: Family, move: number): readonly Template[] {
  return TABLES[family][move] ?? [];
}

/** What a recognised template says about a text. */
export interface TemplateMatch {
  template: Template;
  speaker: string;
  /** The text each slot matched, in order of appearance. */
  slots: string[];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function slotPattern(slot: Slot, format: AnswerFormat): string {
  switch (slot) {
    case 'ans':
      // Answers are never empty and a tag answer has no newline (extractTagged's own rule).
      return format === 'tag' ? '(<A>[^\\n]+?</A>)' : '(\\\\boxed\\{.+?\\})';
    case 'partner':
      return '([A-Za-z][\\w-]*)';
    case 'step':
      return '(\\d+)';
    default:
      return '(.+?)';
  }
}

/** All templates of a family compiled for one answer format. */
export class Recogniser {
  private readonly compiled: Array<{ template: Template; re: RegExp }> = [];

  constructor(family: Family, format: AnswerFormat) {
    for (const row of TABLES[family]) {
      for (const template of row) {
        const body = template.parts.map((p) => (typeof p === 'string' ? escape(p) : slotPattern(p.slot, format))).join('');
        this.compiled.push({ template, re: new RegExp(`^([A-Za-z][\\w-]*): ${body}$`, 's') });
      }
    }
  }

  /** Number of templates: the context-free model's uniform prior is over these. */
  get size(): number {
    return this.compiled.length;
  }

  /** Every template the text matches (a text can match several: they are alternatives). */
  match(text: string): TemplateMatch[] {
    const out: TemplateMatch[] = [];
    for (const { template, re } of this.compiled) {
      const m = re.exec(text);
      if (m) out.push({ template, speaker: m[1] as string, slots: m.slice(2) as string[] });
    }
    return out;
  }
}
