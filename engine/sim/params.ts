/**
 * The simulated model's trainable parameters, plain data that serialises to JSON:
 * - one weight per (feature, move): which move the policy makes (policy.ts);
 * - one answer skill per answer-producing move: how often that move states the gold answer
 *   (outcomes.ts `skilledAccuracy`; 0 is the base accuracy, and its effect is bounded).
 * The base parameters make a mediocre but sensible policy with skill 0, so that there is
 * something for SFT and DPO to improve (see docs/simulated-model.md for the reasoning).
 */
import { FEATURES, FEATURE_COUNT, type FeatureName } from './features.ts';
import { MOVES, MOVE_COUNT, SKILL_COUNT, SKILL_MOVES, SKILL_OF, type MoveName } from './moves.ts';

export interface SimParams {
  readonly features: readonly string[];
  readonly moves: readonly string[];
  /** Row-major [feature][move]: weights[f * moves.length + m]. */
  readonly weights: Float64Array;
  /** The moves that carry a skill, in `skills` order (moves.ts SKILL_MOVES). */
  readonly skillMoves: readonly string[];
  /** Answer skill per skill move, unbounded; it acts through SKILL_CAP·tanh(skill / SKILL_CAP). */
  readonly skills: Float64Array;
}

/**
 * The JSON-safe form written next to a run and read back by `parseParams`. Version 1 (before
 * answer skills) has no `skillMoves`/`skills` and still reads, with every skill 0.
 */
export interface SerializedParams {
  format: 'dits-sim-params';
  version: 2;
  features: string[];
  moves: string[];
  weights: number[];
  skillMoves: string[];
  skills: number[];
}

type Row = Partial<Record<FeatureName, number>>;

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
  ASK: { bias: -0.6, firstUtterance: 0.2, partnerShared: -0.8, lastAsked: -1.0 },
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

export function defaultParams(): SimParams {
  const weights = new Float64Array(FEATURE_COUNT * MOVE_COUNT);
  MOVES.forEach((move, m) => {
    for (const [feature, w] of Object.entries(BASE[move])) {
      weights[FEATURES.indexOf(feature as FeatureName) * MOVE_COUNT + m] = w as number;
    }
  });
  return { features: FEATURES, moves: MOVES, weights, skillMoves: SKILL_MOVES, skills: new Float64Array(SKILL_COUNT) };
}

/** A copy of `p` (arrays copied unless given): the way to build params from new arrays. */
export function cloneParams(p: SimParams, weights: Float64Array = new Float64Array(p.weights), skills: Float64Array = new Float64Array(p.skills)): SimParams {
  return { features: p.features, moves: p.moves, weights, skillMoves: p.skillMoves, skills };
}

export function serializeParams(p: SimParams): SerializedParams {
  return {
    format: 'dits-sim-params',
    version: 2,
    features: [...p.features],
    moves: [...p.moves],
    weights: Array.from(p.weights),
    skillMoves: [...p.skillMoves],
    skills: Array.from(p.skills),
  };
}

const finiteNumbers = (a: unknown, n: number): a is number[] => Array.isArray(a) && a.length === n && a.every((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * Params from their serialised form (version 2, or version 1 read with every skill 0). The
 * feature, move and skill-move lists must be this version's (a state saved by another layout
 * cannot be read silently); the error says what differs.
 */
export function parseParams(value: unknown): SimParams {
  const v = value as (Omit<Partial<SerializedParams>, 'version'> & { version?: unknown }) | null;
  if (!v || typeof v !== 'object' || v.format !== 'dits-sim-params' || (v.version !== 1 && v.version !== 2)) {
    throw new Error('not simulated-model params: expected {format: "dits-sim-params", version: 2 (or 1), ...}');
  }
  const same = (a: unknown, b: readonly string[]) => Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(v.features, FEATURES)) throw new Error(`simulated-model params: feature list differs from this version's (${FEATURES.join(', ')})`);
  if (!same(v.moves, MOVES)) throw new Error(`simulated-model params: move list differs from this version's (${MOVES.join(', ')})`);
  if (!finiteNumbers(v.weights, FEATURE_COUNT * MOVE_COUNT)) {
    throw new Error(`simulated-model params: weights must be ${FEATURE_COUNT * MOVE_COUNT} finite numbers`);
  }
  let skills = new Float64Array(SKILL_COUNT);
  if (v.version === 2) {
    if (!same(v.skillMoves, SKILL_MOVES)) throw new Error(`simulated-model params: skill-move list differs from this version's (${SKILL_MOVES.join(', ')})`);
    if (!finiteNumbers(v.skills, SKILL_COUNT)) throw new Error(`simulated-model params: skills must be ${SKILL_COUNT} finite numbers`);
    skills = Float64Array.from(v.skills);
  } else if (v.skillMoves !== undefined || v.skills !== undefined) {
    throw new Error('simulated-model params: version 1 has no skills (version 2 carries them)');
  }
  return { features: FEATURES, moves: MOVES, weights: Float64Array.from(v.weights), skillMoves: SKILL_MOVES, skills };
}

/** The answer skill of `move` under `p` (0 for a move without one). */
export function skillOf(p: SimParams, move: number): number {
  const k = SKILL_OF[move] as number;
  return k >= 0 ? (p.skills[k] as number) : 0;
}
