/**
 * The simulated model's trainable parameters, plain data that serialises to JSON:
 * - one weight per (feature, move): which move the policy makes (policy.ts);
 * - one answer skill per answer-producing move: how often that move states the gold answer
 *   (outcomes.ts `skilledAccuracy`; 0 is the base accuracy, and its effect is bounded);
 * - the wording (wording.ts): one logit per (move, phrasing) and one shared weight on phrasings
 *   that name the partner (a format error), so that two utterances that differ only in their
 *   words still teach something.
 * The base parameters make a mediocre but sensible policy with skill 0, so that there is
 * something for SFT and DPO to improve (see docs/simulated-model.md for the reasoning).
 */
import { F, FEATURES, FEATURE_COUNT, SURE_OFFSET, TASK_DIMS, type FeatureName } from './features.ts';
import { MOVES, MOVE_COUNT, SKILL_COUNT, SKILL_MOVES, SKILL_OF, type MoveName } from './moves.ts';
import { Rng } from '../base/rng.ts';
import { PHRASINGS } from './templates.ts';

/** Length of `wording`: a logit per (move, phrasing), then the partner-naming weight. */
export const WORDING_COUNT = MOVE_COUNT * PHRASINGS + 1;
export const NAMES_PARTNER = WORDING_COUNT - 1;

export interface SimParams {
  readonly features: readonly string[];
  readonly moves: readonly string[];
  /** Row-major [feature][move]: weights[f * moves.length + m]. */
  readonly weights: Float64Array;
  /** The moves that carry a skill, in `skills` order (moves.ts SKILL_MOVES). */
  readonly skillMoves: readonly string[];
  /** Answer skill per skill move, unbounded; it acts through SKILL_CAP·tanh(skill / SKILL_CAP). */
  readonly skills: Float64Array;
  /** Phrasing logits, row-major [move][phrasing], then the weight on naming the partner. */
  readonly wording: Float64Array;
}

/**
 * A run's model handle as the simulator's parameters. The pipeline holds handles of whatever
 * backend runs it; the analyses that need exact gradients ask the simulator to take its own
 * handles back, and a handle of another backend is a bug, said here rather than deep in a gradient.
 */
export function asSimParams(handle: unknown): SimParams {
  const p = handle as Partial<SimParams> | null;
  if (p === null || typeof p !== 'object' || !(p.weights instanceof Float64Array) || !(p.skills instanceof Float64Array) || !Array.isArray(p.moves)) {
    throw new TypeError('a model handle of the simulated model was expected (the run is not in process)');
  }
  return p as SimParams;
}

/** The JSON-safe form written next to a run and read back by `parseParams`. */
export interface SerializedParams {
  format: 'dits-sim-params';
  version: 3;
  features: string[];
  moves: string[];
  weights: number[];
  skillMoves: string[];
  skills: number[];
  wording: number[];
}

type Row = Partial<Record<FeatureName | 'bias', number>>;

/**
 * Base weights, per move. Only differences between the legal moves of a state matter (the
 * softmax is over them), so each family's rows are read together:
 * - IE: sharing is the favourite opening, but an answer comes early (after the partner's first
 *   fact, whether or not the needed facts are in) and an answer from the partner is usually
 *   agreed with - so the base model often answers before the needed facts are exchanged.
 * - Debate solver: terse on easy tasks, stepwise on hard ones; revises after most challenges.
 * - Debate critic: challenges more when its check flags the answer, but not reliably.
 */
const BASE: Record<MoveName, Row> = {
  SHARE_TERSE: { bias: 0.6, lastAsked: 0.8, partnerShared: -0.2, allNeededVisible: -0.6 },
  SHARE_VERBOSE: { bias: 0.1, lastAsked: 0.6, allNeededVisible: -0.6 },
  ASK: { bias: -0.6, turn0: 0.2, partnerShared: -0.8, lastAsked: -1.0 },
  ANSWER_TERSE: { bias: 0.0, turnFrac: 1.0, partnerShared: 0.4, allNeededVisible: 0.6 },
  ANSWER_REASONED: { bias: -0.5, allNeededVisible: 0.5, difficulty: 0.3 },
  AGREE: { bias: 0.5, partnerAnswered: 0.6, allNeededVisible: 0.3 },
  SOLVE_TERSE: { bias: 0.35, difficulty: -0.25 },
  SOLVE_STEPWISE: { bias: 0.0, difficulty: 0.25 },
  REVISE: { bias: 0.2, lastChallenged: 0.3, challengeCount: -0.3 },
  DEFEND: { bias: 0.0, challengeCount: 0.2 },
  CHALLENGE: { bias: -0.3, verifierFlag: 1.0, verifierOk: -0.3, challengeCount: -0.5 },
  HINT: { bias: -0.8, verifierFlag: 0.9, difficulty: 0.3 },
  ACCEPT: { bias: 0.2, verifierOk: 0.6, challengeCount: 0.4 },
};

const TURN_BUCKETS = ['turn0', 'turn1to2', 'turn3to5', 'turn6plus'] as const;

/**
 * Spread of the base weights of the task embedding: each (task dimension, move) weight is a
 * fixed keyed normal draw times this, so a task's logits of a move differ from another's by
 * about 0.6 (sd), as much as a typical difference between two moves' base logits.
 */
const TASK_WEIGHT_SD = 1.2;

function standardNormal(rng: Rng): number {
  // Box-Muller on two keyed uniforms (1 − u keeps the logarithm finite).
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

export function defaultParams(): SimParams {
  const weights = new Float64Array(FEATURE_COUNT * MOVE_COUNT);
  // Both copies of a feature (plain and @sure) start from the same weight.
  const add = (feature: FeatureName, m: number, w: number) => {
    for (const f of [F[feature], F[feature] + SURE_OFFSET]) weights[f * MOVE_COUNT + m] = (weights[f * MOVE_COUNT + m] as number) + w;
  };
  MOVES.forEach((move, m) => {
    for (const [feature, w] of Object.entries(BASE[move])) {
      // `bias` is written once in BASE and spread over the turn buckets that replace it.
      if (feature === 'bias') for (const b of TURN_BUCKETS) add(b, m, w as number);
      else add(feature as FeatureName, m, w as number);
    }
    const rng = Rng.keyed('sim-task-weights', move);
    for (let j = 0; j < TASK_DIMS; j++) add(`task${j}` as FeatureName, m, TASK_WEIGHT_SD * standardNormal(rng));
  });
  return { features: FEATURES, moves: MOVES, weights, skillMoves: SKILL_MOVES, skills: new Float64Array(SKILL_COUNT), wording: new Float64Array(WORDING_COUNT) };
}

/** A copy of `p` (arrays copied unless given): the way to build params from new arrays. */
export function cloneParams(
  p: SimParams,
  weights: Float64Array = new Float64Array(p.weights),
  skills: Float64Array = new Float64Array(p.skills),
  wording: Float64Array = new Float64Array(p.wording),
): SimParams {
  return { features: p.features, moves: p.moves, weights, skillMoves: p.skillMoves, skills, wording };
}

export function serializeParams(p: SimParams): SerializedParams {
  return {
    format: 'dits-sim-params',
    version: 3,
    features: [...p.features],
    moves: [...p.moves],
    weights: Array.from(p.weights),
    skillMoves: [...p.skillMoves],
    skills: Array.from(p.skills),
    wording: Array.from(p.wording),
  };
}

const finiteNumbers = (a: unknown, n: number): a is number[] => Array.isArray(a) && a.length === n && a.every((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * Params from their serialised form (version 3). The feature, move and skill-move lists must be
 * this version's (a state saved by another layout cannot be read silently); the error says
 * what differs. Versions 1 and 2 had another feature list and no wording, so they are refused.
 */
export function parseParams(value: unknown): SimParams {
  const v = value as (Omit<Partial<SerializedParams>, 'version'> & { version?: unknown }) | null;
  if (!v || typeof v !== 'object' || v.format !== 'dits-sim-params' || typeof v.version !== 'number') {
    throw new Error('not simulated-model params: expected {format: "dits-sim-params", version: 3, ...}');
  }
  if (v.version !== 3) throw new Error(`simulated-model params of version ${v.version}: this version reads version 3 only (its features and wording differ); train the state again`);
  const same = (a: unknown, b: readonly string[]) => Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(v.features, FEATURES)) throw new Error(`simulated-model params: feature list differs from this version's (${FEATURES.join(', ')})`);
  if (!same(v.moves, MOVES)) throw new Error(`simulated-model params: move list differs from this version's (${MOVES.join(', ')})`);
  if (!finiteNumbers(v.weights, FEATURE_COUNT * MOVE_COUNT)) {
    throw new Error(`simulated-model params: weights must be ${FEATURE_COUNT * MOVE_COUNT} finite numbers`);
  }
  if (!same(v.skillMoves, SKILL_MOVES)) throw new Error(`simulated-model params: skill-move list differs from this version's (${SKILL_MOVES.join(', ')})`);
  if (!finiteNumbers(v.skills, SKILL_COUNT)) throw new Error(`simulated-model params: skills must be ${SKILL_COUNT} finite numbers`);
  if (!finiteNumbers(v.wording, WORDING_COUNT)) throw new Error(`simulated-model params: wording must be ${WORDING_COUNT} finite numbers`);
  return {
    features: FEATURES,
    moves: MOVES,
    weights: Float64Array.from(v.weights),
    skillMoves: SKILL_MOVES,
    skills: Float64Array.from(v.skills),
    wording: Float64Array.from(v.wording),
  };
}

/** The answer skill of `move` under `p` (0 for a move without one). */
export function skillOf(p: SimParams, move: number): number {
  const k = SKILL_OF[move] as number;
  return k >= 0 ? (p.skills[k] as number) : 0;
}
