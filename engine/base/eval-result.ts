/**
 * What a run's eval stage writes (`iter-<t>/eval.json`) and `dits compare` reads back: every
 * DPO seed's model and the SFT model on the test tasks.
 */

/** A model's greedy (T = 0) test score: mean metric and mean tokens per dialogue over the test tasks. */
export interface ModelScore {
  metric: number;
  meanTokens: number;
}

/** The exact expected test metric when sampling at `temperature`, mean over the test tasks. */
export interface ExpectedResult {
  /** Mean over the DPO seeds. */
  metric: number;
  perDpoSeed: number[];
  sft: number;
  temperature: number;
  /** The least probability mass the enumeration covered, over the test tasks and models (1: exact). */
  minMass: number;
}

/** eval.json. `metric` and `meanTokens` are means over the DPO seeds (with one, M_t's own). */
export interface EvalResult extends ModelScore {
  tasks: number;
  /** Every DPO seed's model, in seed order (the first is M_t, which the next iteration starts from). */
  perDpoSeed: ModelScore[];
  /** The SFT model every DPO seed started from. */
  sft: ModelScore;
  /** The base model, before any training: iteration 0 only (the same for every iteration). Absent in runs made before it was measured. */
  base?: ModelScore;
  /** When the run asks for it (in process only). */
  expected?: ExpectedResult;
}
