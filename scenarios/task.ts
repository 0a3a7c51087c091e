/**
 * A task is one dataset item, in the same shape whatever benchmark it came from.
 * Loaders produce it; scenarios split its context among agents; the simulated model
 * reads it as its oracle record.
 */

/** One paragraph or snippet of a task's context. */
export interface ContextPiece {
  /** Paragraph title (HotpotQA, 2WikiMultihopQA), search-result title (TriviaQA); absent for plain text. */
  title?: string;
  /** The piece's sentences, in source order (a snippet without sentence split is one sentence). */
  sentences: string[];
  /** True when the piece holds a fact needed for the answer (supporting facts). */
  supporting: boolean;
}

export interface Task {
  /** Stable id, unique within its dataset file (the source's own id, or `<dataset>-<row>`). */
  id: string;
  /** Which benchmark or generator the task came from: gsm8k, math, arc, mmlu, hotpotqa, 2wiki, triviaqa, cbt, gen-arith, gen-ie, jsonl. */
  dataset: string;
  /** The question as the source states it, without any option suffix (the scenario adds that). */
  question: string;
  /** Gold answers: the first is canonical, the rest are aliases (the metric takes the max over them). */
  answers: string[];
  /** Choice texts for multiple-choice tasks (ARC, MMLU, CBT), in source order. */
  options?: string[];
  /** Context pieces to be split among agents (empty for debate tasks). */
  context: ContextPiece[];
  /**
   * Extra fields kept from the source that later stages use, JSON-serialisable:
   * e.g. `solution` (GSM8K rationale, MATH solution), `level`, `subject`, `difficulty` (0..1).
   */
  meta: Record<string, string | number | boolean>;
}

/** Where a task came from, for error messages. */
export interface SourcePlace {
  file: string;
  /** 1-based line of the row (JSONL, CSV, CBT text) or of the array item's start (JSON). */
  line?: number;
  /** 0-based index of the item in a JSON array or in the file's sequence of rows. */
  index?: number;
}
