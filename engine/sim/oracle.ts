/**
 * The oracle record of one task: what the simulated model "knows" about it beyond the
 * conversation - the gold answer, the wrong answers it can plausibly give, which context
 * sentences an answer needs, and how hard the task is. Built once per task and answer format.
 */
import { extractAnswer, type AnswerFormat } from '../../scenarios/answers.ts';
import type { Task } from '../../scenarios/task.ts';

/** A context sentence the model can quote and recognise; `piece` indexes task.context. */
export interface FactSentence {
  piece: number;
  text: string;
}

export interface OracleRecord {
  /** Identity used in keyed hashes (verification signal, greedy draws). */
  key: string;
  /** The question text ('' when unknown), for generic derivations. */
  question: string;
  /** False for the fallback record of a question the world does not know. */
  known: boolean;
  /** Raw answer values: the gold first (when known), then the wrong ones; all parse differently. */
  candidates: string[];
  /** extractAnswer of each candidate as the world's format renders it. */
  parsed: string[];
  /** Parsed forms of every gold alias: an answer is right when its parsed form is in here. */
  goldParsed: ReadonlySet<string>;
  /** Context sentences long enough to be recognised when quoted (see MIN_FACT_LENGTH). */
  facts: FactSentence[];
  /** Title of each context piece (undefined when untitled), for reasoning chains. */
  pieceTitles: Array<string | undefined>;
  /** Indices into `facts` that an answer needs (the supporting pieces' sentences). */
  needed: number[];
  /** Worked-solution lines for the gold answer, or [] when the task has none. */
  goldSteps: string[];
  difficulty: number;
  /** Plausible wrong values only (the candidates after the gold). */
  readonly wrong: readonly string[];
}

/** Shorter sentences ("Yes.") would be found inside unrelated text, so they are not facts. */
export const MIN_FACT_LENGTH = 8;
const MAX_WRONG = 5;

export function renderAnswer(value: string, format: AnswerFormat): string {
  return format === 'tag' ? `<A>${value}</A>` : `\\boxed{${value}}`;
}

// Candidate values repeat across tasks (small numbers, city names), and the boxed normaliser
// is dozens of string passes: a bounded memo keeps oracle building cheap.
const PARSE_MEMO_LIMIT = 50_000;
const parseMemo = new Map<string, string>();

/** The parsed form of `value` rendered as an answer in `format`. */
function parseValue(value: string, format: AnswerFormat): string {
  const key = format + value;
  const hit = parseMemo.get(key);
  if (hit !== undefined) return hit;
  const parsed = extractAnswer(renderAnswer(value, format), format);
  if (parseMemo.size >= PARSE_MEMO_LIMIT) parseMemo.clear();
  parseMemo.set(key, parsed);
  return parsed;
}

export function buildOracle(task: Task, format: AnswerFormat, firstSentenceOnly: boolean): OracleRecord {
  const parse = (v: string) => parseValue(v, format);
  const gold = task.answers[0] ?? '';
  const goldParsed = new Set(task.answers.map(parse).filter((p) => p !== ''));
  const goldSteps = solutionLines(task);
  const candidates = [gold];
  const parsed = [parse(gold)];
  for (const w of wrongAnswers(task, gold, goldSteps, firstSentenceOnly)) {
    if (candidates.length > MAX_WRONG) break;
    const p = parse(w);
    // A wrong value must parse to something non-empty that is neither right nor a repeat.
    if (p === '' || goldParsed.has(p) || parsed.includes(p) || !renderable(w, format)) continue;
    candidates.push(w);
    parsed.push(p);
  }
  const facts: FactSentence[] = [];
  const needed: number[] = [];
  const anySupporting = task.context.some((c) => c.supporting);
  task.context.forEach((piece, pi) => {
    piece.sentences.forEach((text, si) => {
      if (text.trim().length < MIN_FACT_LENGTH) return;
      // Without supporting flags (CBT) every piece counts as needed.
      const isNeeded = (piece.supporting || !anySupporting) && (!firstSentenceOnly || si === 0);
      if (isNeeded) needed.push(facts.length);
      facts.push({ piece: pi, text });
    });
  });
  return {
    key: `${task.dataset}/${task.id}`,
    question: task.question,
    known: true,
    candidates,
    parsed,
    goldParsed,
    facts,
    pieceTitles: task.context.map((c) => c.title),
    needed,
    goldSteps,
    difficulty: difficultyOf(task, goldSteps),
    wrong: candidates.slice(1),
  };
}

/**
 * The record for a prompt whose question the world does not hold: no gold, and guesses taken
 * from the prompt itself (numbers for boxed answers, capitalised phrases otherwise), so the
 * model still talks sensibly.
 */
export function fallbackOracle(prompt: string, format: AnswerFormat): OracleRecord {
  const raw = format === 'boxed' ? prompt.match(/\d+/g) ?? [] : capitalisedPhrases(prompt);
  const candidates: string[] = [];
  const parsed: string[] = [];
  for (const c of raw) {
    const p = parseValue(c, format);
    if (p === '' || parsed.includes(p) || !renderable(c, format)) continue;
    candidates.push(c);
    parsed.push(p);
    if (candidates.length > MAX_WRONG) break;
  }
  if (candidates.length === 0) {
    candidates.push(format === 'boxed' ? '0' : 'unknown');
    parsed.push(parseValue(candidates[0] as string, format));
  }
  return {
    key: `unknown/${prompt.length}/${prompt.slice(0, 64)}`,
    question: '',
    known: false,
    candidates,
    parsed,
    goldParsed: new Set(),
    facts: [],
    pieceTitles: [],
    needed: [],
    goldSteps: [],
    difficulty: 0.5,
    wrong: candidates,
  };
}

function renderable(value: string, format: AnswerFormat): boolean {
  return format === 'boxed' || (!value.includes('\n') && !value.includes('</A'));
}

/** meta.difficulty; else MATH level / 5; else by solution length; else by supporting pieces. */
function difficultyOf(task: Task, steps: string[]): number {
  const clamp = (x: number) => Math.min(1, Math.max(0, x));
  const d = task.meta.difficulty;
  if (typeof d === 'number' && Number.isFinite(d)) return clamp(d);
  const level = task.meta.level;
  const lv = typeof level === 'number' ? level : typeof level === 'string' ? Number(level.match(/\d+/)?.[0]) : NaN;
  if (Number.isFinite(lv)) return clamp(lv / 5);
  if (steps.length > 0 && task.context.length === 0) return clamp((steps.length - 1) / 7);
  const supporting = task.context.filter((c) => c.supporting).length;
  if (supporting > 0) return clamp(0.2 * supporting);
  return 0.5;
}

/** meta.solution as step lines, without GSM8K calculator annotations or the `####` line. */
function solutionLines(task: Task): string[] {
  const sol = task.meta.solution;
  if (typeof sol !== 'string') return [];
  return sol
    .split('\n')
    .map((l) => l.replace(/<<[^>]*>>/g, '').trim())
    .filter((l) => l !== '' && !l.startsWith('####'));
}

function wrongAnswers(task: Task, gold: string, steps: string[], firstSentenceOnly: boolean): string[] {
  if (task.options && task.options.length > 0) return task.options.filter((o) => o !== gold);
  if (task.context.length > 0) return entityCandidates(task, gold, firstSentenceOnly);
  const num = Number(gold.replace(/,/g, ''));
  if (gold.trim() !== '' && Number.isFinite(num)) return numericNeighbours(num, gold, steps);
  return latexPerturbations(gold);
}

/** Off-by-one, ±10 %, a digit swap, a partial-step result and ×10: the usual slips. */
function numericNeighbours(g: number, gold: string, steps: string[]): string[] {
  const decimals = gold.includes('.') ? (gold.split('.')[1] ?? '').length : 0;
  const fmt = (x: number) => (decimals > 0 ? x.toFixed(decimals) : String(Math.round(x)));
  const out: string[] = [];
  const partial = steps.length >= 2 ? steps[steps.length - 2]?.match(/-?\d+(?:\.\d+)?/g)?.at(-1) : undefined;
  if (partial !== undefined) out.push(partial);
  out.push(fmt(g + 1), fmt(g - 1), fmt(g * 1.1), fmt(g * 0.9));
  const digits = String(Math.abs(Math.round(g)));
  if (decimals === 0 && digits.length >= 2) {
    const swapped = digits.slice(0, -2) + digits.at(-1) + digits.at(-2);
    out.push((g < 0 ? '-' : '') + String(Number(swapped)));
  }
  out.push(fmt(g * 10));
  return out.filter((v) => g < 0 || !v.startsWith('-'));
}

/** Change the first and last numbers of a LaTeX answer by one; append a term if it has none. */
function latexPerturbations(gold: string): string[] {
  const nums = [...gold.matchAll(/\d+/g)];
  if (nums.length === 0) return [`${gold}+1`, `2${gold}`, `-${gold}`];
  const out: string[] = [];
  for (const m of [nums[0], nums.at(-1)]) {
    if (!m || m.index === undefined) continue;
    const n = Number(m[0]);
    for (const v of [n + 1, n - 1]) {
      if (v < 0) continue;
      out.push(gold.slice(0, m.index) + String(v) + gold.slice(m.index + m[0].length));
    }
  }
  return out;
}

const LEADING_STOPWORDS = new Set([
  'The', 'A', 'An', 'It', 'He', 'She', 'They', 'In', 'On', 'At', 'This', 'That', 'His', 'Her',
  'Its', 'There', 'When', 'After', 'Before', 'But', 'And', 'As', 'For', 'Of', 'From', 'With',
]);

/** Capitalised word runs ("Alma Varga", "Brno"), a leading stop word dropped. */
function capitalisedPhrases(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[A-Z][a-zA-Z'-]+(?: [A-Z][a-zA-Z'-]+)*/g)) {
    const words = m[0].split(' ');
    if (LEADING_STOPWORDS.has(words[0] ?? '')) words.shift();
    const phrase = words.join(' ');
    if (phrase.length >= 3 && !out.includes(phrase)) out.push(phrase);
  }
  return out;
}

/**
 * Entity-like strings of the context that are not the gold and not in the question: phrases
 * of the non-supporting pieces first (the distractors' names and places are the typical wrong
 * answers), then those of the supporting pieces (the bridge entity), then titles. A phrase
 * inside another one already taken ("Hollow Lantern" in "The Hollow Lantern") is skipped.
 * Only sentences the agents can be shown count.
 */
function entityCandidates(task: Task, gold: string, firstSentenceOnly: boolean): string[] {
  const out: string[] = [];
  const add = (s: string) => {
    if (s === gold || task.question.includes(s) || gold.includes(s)) return;
    if (out.some((o) => o.includes(s) || s.includes(o))) return;
    out.push(s);
  };
  const phrases = (supporting: boolean) => {
    for (const piece of task.context) {
      if (piece.supporting !== supporting) continue;
      for (const s of firstSentenceOnly ? piece.sentences.slice(0, 1) : piece.sentences) capitalisedPhrases(s).forEach(add);
    }
  };
  phrases(false);
  phrases(true);
  for (const piece of task.context) if (!piece.supporting && piece.title) add(piece.title);
  return out;
}

/**
 * Worked lines for `value`: the gold solution when it is the gold, the same lines with the
 * final result replaced when it is wrong, and a short generic derivation without a solution.
 */
export function stepsFor(oracle: OracleRecord, value: string): string[] {
  const isGold = oracle.known && value === oracle.candidates[0];
  if (oracle.goldSteps.length === 0) {
    const head = oracle.question.split(/\s+/).slice(0, 10).join(' ');
    if (head === '') return ['Check each condition in turn.', `Only ${value} fits them all.`];
    return [`Question: ${head}...`, 'Check each condition in turn.', `Only ${value} fits them all.`];
  }
  if (isGold) return oracle.goldSteps;
  const lines = oracle.goldSteps.slice();
  const last = lines.length - 1;
  const gold = oracle.candidates[0] ?? '';
  const line = lines[last] as string;
  const at = gold === '' ? -1 : line.lastIndexOf(gold);
  lines[last] = at >= 0 ? line.slice(0, at) + value + line.slice(at + gold.length) : `${line} = ${value}`;
  return lines;
}
