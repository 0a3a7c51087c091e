/**
 * The simulated model's world: the scenario (agents and their roles, family, answer format)
 * and an index from question text to task, so that a request - which carries only text - can
 * be matched to its oracle record. The model never sees anything else about a run.
 */
import type { AnswerFormat } from '../../scenarios/answers.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';
import { buildOracle, fallbackOracle, type OracleRecord } from './oracle.ts';
import type { AgentKind } from './moves.ts';
import { Recogniser, type Family } from './templates.ts';

/** One task as the world holds it: the oracle is built on first use. */
/** What one utterance says, as far as the model reads it (memoised per task and text). */
export interface UtteranceInfo {
  /** The `Name:` prefix ('' when absent). */
  speaker: string;
  /** Parsed answer in the world's format ('' when none). */
  answer: string;
  /** Bit i set when a phrasing of move i matches the text. */
  moves: number;
  /** Indices into oracle.facts quoted verbatim. */
  facts: number[];
}

export interface TaskEntry {
  task: Task;
  /** The question without surrounding whitespace, which prompt rendering may trim. */
  question: string;
  oracle(): OracleRecord;
  /** Prefix of this task's keys in the utterance memo. */
  readonly memoKey: string;
  /** Position in the task stream: among equally good matches the earliest task wins. */
  readonly ordinal: number;
}

/** What one system prompt tells the model: its task and the facts this agent holds. */
export interface PromptView {
  oracle: OracleRecord;
  /** The entry the prompt belongs to, or null for an unknown question. */
  entry: TaskEntry | null;
  /** Indices into oracle.facts found verbatim in the prompt, in prompt order. */
  held: number[];
  /** Prefix of the utterance-memo keys: the task's, shared by its agents' prompts. */
  memoKey: string;
}

export interface SimWorld {
  readonly family: Family;
  readonly format: AnswerFormat;
  readonly agents: ReadonlyArray<{ name: string; kind: AgentKind }>;
  readonly recogniser: Recogniser;
  /** What the agent with this name acts as (an unknown name acts as a peer or a solver). */
  kindOf(name: string): AgentKind;
  /**
   * Index more tasks (a streamed dataset arrives in batches); earlier tasks stay known.
   * `ordinals` are the tasks' positions in the stream, when they arrive out of order (a worker
   * thread gets the tasks it searches); by default they count up from the first task added.
   */
  addTasks(tasks: Iterable<Task>, ordinals?: readonly number[]): void;
  /** The prompt's view; memoised per prompt string; never throws. */
  view(systemPrompt: string): PromptView;
  /**
   * Per-utterance analysis (see state.ts), keyed by view.memoKey + text. One bounded map for
   * the whole world, so memory does not grow with the number of tasks.
   */
  readonly utteranceMemo: Map<string, UtteranceInfo>;
}

interface IndexedEntry extends TaskEntry {
  /** Order of arrival in the world: a bucket's matches are returned in it. */
  readonly seq: number;
}

/**
 * The tasks that share a lookup key, by question. Generated questions share their first words
 * ("In which city was the ..."), so one key can hold a large part of the stream: a lookup reads
 * the prompt at each place the key occurs, once per question length, instead of searching the
 * prompt for every question of the key, which made a run's lookups quadratic in its tasks.
 */
interface KeyBucket {
  /** Trimmed question -> its tasks in order of arrival. */
  byQuestion: Map<string, IndexedEntry[]>;
  /** The lengths of the questions in byQuestion. */
  questionLengths: Set<number>;
}

function addToBucket(bucket: KeyBucket, entry: IndexedEntry): void {
  const same = bucket.byQuestion.get(entry.question);
  if (same) same.push(entry);
  else bucket.byQuestion.set(entry.question, [entry]);
  bucket.questionLengths.add(entry.question.length);
}

/**
 * The bucket's tasks whose question occurs anywhere in `prompt`, in order of arrival. Every
 * question of the bucket starts with `key`, so each occurrence of it is where one may start.
 */
function questionsInPrompt(bucket: KeyBucket, key: string, prompt: string): IndexedEntry[] {
  const questions = new Set<string>();
  for (let at = prompt.indexOf(key); at >= 0; at = prompt.indexOf(key, at + 1)) {
    for (const len of bucket.questionLengths) {
      const text = prompt.slice(at, at + len);
      if (text.length === len && bucket.byQuestion.has(text)) questions.add(text);
    }
  }
  const entries = [...questions].flatMap((q) => bucket.byQuestion.get(q) ?? []);
  return questions.size > 1 ? entries.sort((a, b) => a.seq - b.seq) : entries;
}

const VIEW_CACHE_LIMIT = 20_000;
/** By UTF-16 code unit: 1 for letters and digits (a question starts where a word does). */
const WORD_CHAR = Uint8Array.from({ length: 65536 }, (_, c) => (/[\p{L}\p{N}]/u.test(String.fromCharCode(c)) ? 1 : 0));
/** Lookup keys are the first characters of a question's first line: long enough to be rare. */
const KEY_LENGTH = 24;

export function createSimWorld(scenario: Scenario, tasks: Iterable<Task>): SimWorld {
  const family = scenario.family;
  const format = scenario.answer.format;
  const firstSentenceOnly = scenario.context.firstSentenceOnly;
  const agents = scenario.agents.map((a) => ({
    name: a.name,
    kind: (family === 'information-exchange' ? 'peer' : a.role === 'critic' ? 'critic' : 'solver') as AgentKind,
  }));
  const kinds = new Map(agents.map((a) => [a.name, a.kind]));
  const defaultKind: AgentKind = family === 'information-exchange' ? 'peer' : 'solver';

  // Index: key (a prefix of the question's first non-empty line) -> the tasks with that key.
  const index = new Map<string, KeyBucket>();
  let lengths: number[] = [];
  // By UTF-16 code unit: can a lookup key start with it.
  const startsKey = new Uint8Array(65536);
  let count = 0;
  const views = new Map<string, PromptView>();

  function addTasks(more: Iterable<Task>, ordinals?: readonly number[]): void {
    const keyLengths = new Set(lengths);
    let k = 0;
    for (const task of more) {
      const ordinal = ordinals?.[k++] ?? count;
      const firstLine = task.question.split('\n').find((l) => l.trim() !== '')?.trim();
      if (firstLine === undefined) continue;
      let oracle: OracleRecord | undefined;
      const seq = count++;
      const entry: IndexedEntry = {
        task,
        question: task.question.trim(),
        oracle: () => (oracle ??= buildOracle(task, format, firstSentenceOnly)),
        // The separator ends the number, so keys of different tasks never collide.
        memoKey: `${seq}\u0000`,
        ordinal,
        seq,
      };
      const key = firstLine.slice(0, KEY_LENGTH);
      keyLengths.add(key.length);
      startsKey[key.charCodeAt(0)] = 1;
      let bucket = index.get(key);
      if (!bucket) index.set(key, (bucket = { byQuestion: new Map(), questionLengths: new Set() }));
      addToBucket(bucket, entry);
    }
    lengths = [...keyLengths].sort((a, b) => b - a);
    // A prompt seen before the new tasks arrived may belong to one of them.
    views.clear();
  }
  addTasks(tasks);

  /** Context sentences of `task` found in the prompt: tells apart tasks with one question. */
  function contextHits(task: Task, prompt: string): number {
    let n = 0;
    for (const piece of task.context) for (const s of piece.sentences) if (s.length > 0 && prompt.includes(s)) n++;
    return n;
  }

  /**
   * The task whose full question occurs in the prompt. The longest question wins; among tasks
   * with the same question (datasets repeat questions), the one whose context the prompt holds,
   * and among those the earliest in the stream, whatever else the world holds.
   */
  function find(prompt: string): TaskEntry | null {
    const found = new Set<TaskEntry>();
    const searched = new Set<KeyBucket>();
    for (const line of prompt.split('\n')) {
      // The question may sit anywhere in a line ("Question: ..."): every position that starts
      // a word and whose character starts some key is tried.
      for (let p = 0; p < line.length; p++) {
        if (!startsKey[line.charCodeAt(p)] || (p > 0 && WORD_CHAR[line.charCodeAt(p - 1)])) continue;
        for (const len of lengths) {
          if (p + len > line.length) continue;
          const key = line.slice(p, p + len);
          const bucket = index.get(key);
          if (!bucket || searched.has(bucket)) continue;
          searched.add(bucket);
          for (const e of questionsInPrompt(bucket, key, prompt)) found.add(e);
        }
      }
    }
    let best: TaskEntry | null = null;
    let bestHits = -1;
    for (const e of found) {
      const longer = !best || e.question.length > best.question.length;
      if (!longer && best && e.question.length < best.question.length) continue;
      const hits = found.size > 1 ? contextHits(e.task, prompt) : 0;
      if (longer || hits > bestHits || (hits === bestHits && best !== null && e.ordinal < best.ordinal)) {
        best = e;
        bestHits = hits;
      }
    }
    return best;
  }

  function view(systemPrompt: string): PromptView {
    const hit = views.get(systemPrompt);
    if (hit) return hit;
    const entry = find(systemPrompt);
    const oracle = entry ? entry.oracle() : fallbackOracle(systemPrompt, format);
    const held = oracle.facts
      .map((f, i) => ({ i, at: systemPrompt.indexOf(f.text) }))
      .filter((h) => h.at >= 0)
      .sort((a, b) => a.at - b.at || a.i - b.i)
      .map((h) => h.i);
    // Unknown questions have no facts, so their utterances read the same in every prompt.
    const v: PromptView = { oracle, entry, held, memoKey: entry ? entry.memoKey : '\u0000' };
    if (views.size >= VIEW_CACHE_LIMIT) views.clear();
    views.set(systemPrompt, v);
    return v;
  }

  return {
    family,
    format,
    agents,
    recogniser: new Recogniser(family, format),
    kindOf: (name) => kinds.get(name) ?? defaultKind,
    view,
    addTasks,
    utteranceMemo: new Map(),
  };
}
