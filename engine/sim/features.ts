/**
 * Features of a dialogue state: the inputs of the log-linear policy. The weight of feature f for
 * move m is params.weights[f * MOVE_COUNT + m].
 *
 * Every state feature comes in two copies, and a state sets only one of them: the `@sure` copy
 * when the agent has grounds to be sure (information exchange: every needed fact is in view; a
 * critic: its check flags the answer), the plain copy otherwise. A real model tells "I know
 * enough to answer" from "I am guessing" by far more than one input; with a single linear layer
 * over shared inputs, a pair that rightly prefers a quick answer when the facts are in would teach
 * answering early everywhere. The two copies start equal (the base weights are written to both).
 *
 * There is no constant feature: the turn bucket (one-hot) stands in for the bias, so a preference
 * learnt from pairs at one stage of the dialogue (the root, say) moves only that stage's weights
 * and does not carry to every later turn. An agent's role needs no feature either: the legal
 * moves already differ by role.
 *
 * The task features are a fixed keyed embedding of the task (uniform in [-1, 1], centred so that
 * training on many tasks does not turn them into a second bias): tasks differ in how the model
 * approaches them, as different questions lead an LLM to different openings.
 */
import { M } from './moves.ts';
import { hashUniform, type DialogueState } from './state.ts';

/** Dimensions of the task embedding. */
export const TASK_DIMS = 4;

export const STATE_FEATURES = [
  'turn0', // the first utterance
  'turn1to2',
  'turn3to5',
  'turn6plus',
  'turnFrac', // utterances so far / 10, capped at 1
  'hasUnshared', // this agent still holds a fact nobody has quoted
  'ownSharedFrac', // share of the agent's held facts already quoted
  'partnerShared', // another agent has quoted a fact
  'neededVisibleFrac', // share of the needed facts the agent can see
  'allNeededVisible', // the agent can see every needed fact (its sense of "I can answer now")
  'lastAsked',
  'lastChallenged', // challenge or hint
  'lastAnswered', // the last utterance stated an answer
  'partnerAnswered', // the latest answer is someone else's
  'ownAnswered',
  'challengeCount', // challenges and hints so far / 3, capped at 1
  'verifierFlag', // critic: its check says the answer is wrong
  'verifierOk', // critic: its check says the answer is right
  'difficulty',
  'task0',
  'task1',
  'task2',
  'task3',
] as const;

export type FeatureName = (typeof STATE_FEATURES)[number];
const STATE_COUNT = STATE_FEATURES.length;

/** The policy's inputs: the state features, then their `@sure` copies. */
export const FEATURES: readonly string[] = [...STATE_FEATURES, ...STATE_FEATURES.map((f) => `${f}@sure`)];
export const FEATURE_COUNT = FEATURES.length;

/** State-feature index by name (add SURE_OFFSET for the `@sure` copy). */
export const F = Object.fromEntries(STATE_FEATURES.map((f, i) => [f, i])) as { readonly [K in FeatureName]: number };
export const SURE_OFFSET = STATE_COUNT;

/** The agent has grounds to be sure (see the file comment). */
export function isSure(s: DialogueState): boolean {
  if (s.kind === 'peer') return s.needed > 0 && s.visibleNeeded === s.needed;
  return s.kind === 'critic' && s.verifier === 'flag';
}

const ASK_BIT = 1 << M.ASK;
const CHALLENGE_BITS = (1 << M.CHALLENGE) | (1 << M.HINT);

export function featureVector(s: DialogueState): Float64Array {
  const x = new Float64Array(FEATURE_COUNT);
  stateFeatures(s, isSure(s) ? x.subarray(SURE_OFFSET) : x.subarray(0, SURE_OFFSET));
  return x;
}

function stateFeatures(s: DialogueState, x: Float64Array): void {
  const last = s.last;
  x[turnBucket(s.turn)] = 1;
  x[F.turnFrac] = Math.min(1, s.turn / 10);
  x[F.hasUnshared] = s.unshared.length > 0 ? 1 : 0;
  let unsharedFacts = 0;
  for (const g of s.unshared) unsharedFacts += g.length;
  x[F.ownSharedFrac] = s.held.length === 0 ? 0 : 1 - unsharedFacts / s.held.length;
  x[F.partnerShared] = s.partnerShared ? 1 : 0;
  x[F.neededVisibleFrac] = s.needed === 0 ? 0 : s.visibleNeeded / s.needed;
  x[F.allNeededVisible] = s.needed > 0 && s.visibleNeeded === s.needed ? 1 : 0;
  x[F.lastAsked] = last && last.moves & ASK_BIT ? 1 : 0;
  x[F.lastChallenged] = last && last.moves & CHALLENGE_BITS ? 1 : 0;
  x[F.lastAnswered] = last && last.answer !== '' ? 1 : 0;
  x[F.partnerAnswered] = s.lastAnswer && s.lastAnswer.speaker !== s.speaker ? 1 : 0;
  x[F.ownAnswered] = s.ownAnswers > 0 ? 1 : 0;
  x[F.challengeCount] = Math.min(1, s.challenges / 3);
  x[F.verifierFlag] = s.verifier === 'flag' ? 1 : 0;
  x[F.verifierOk] = s.verifier === 'ok' ? 1 : 0;
  x[F.difficulty] = s.oracle.difficulty;
  const embedding = taskEmbedding(s.oracle.key);
  for (let j = 0; j < TASK_DIMS; j++) x[F.task0 + j] = embedding[j] as number;
}

function turnBucket(turn: number): number {
  if (turn === 0) return F.turn0;
  if (turn <= 2) return F.turn1to2;
  if (turn <= 5) return F.turn3to5;
  return F.turn6plus;
}

const EMBEDDING_MEMO_LIMIT = 100_000;
const embeddingMemo = new Map<string, Float64Array>();

/** The task's embedding: a function of its key alone (dataset and id, or the question). */
export function taskEmbedding(key: string): Float64Array {
  const hit = embeddingMemo.get(key);
  if (hit) return hit;
  const e = Float64Array.from({ length: TASK_DIMS }, (_, j) => 2 * hashUniform('task-embedding', key, j) - 1);
  if (embeddingMemo.size >= EMBEDDING_MEMO_LIMIT) embeddingMemo.clear();
  embeddingMemo.set(key, e);
  return e;
}
