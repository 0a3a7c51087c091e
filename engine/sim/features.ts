/**
 * Features of a dialogue state: the inputs of the log-linear policy. All lie in [0, 1]; the
 * weight of feature f for move m is params.weights[f * MOVE_COUNT + m].
 */
import { M } from './moves.ts';
import type { DialogueState } from './state.ts';

export const FEATURES = [
  'bias',
  'isPeer',
  'isSolver',
  'isCritic',
  'turnFrac', // utterances so far / 10, capped at 1
  'firstUtterance',
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
] as const;

export type FeatureName = (typeof FEATURES)[number];
export const FEATURE_COUNT = FEATURES.length;

/** Feature index by name. */
export const F = Object.fromEntries(FEATURES.map((f, i) => [f, i])) as { readonly [K in FeatureName]: number };

const ASK_BIT = 1 << M.ASK;
const CHALLENGE_BITS = (1 << M.CHALLENGE) | (1 << M.HINT);

export function featureVector(s: DialogueState): Float64Array {
  const x = new Float64Array(FEATURE_COUNT);
  const last = s.last;
  x[F.bias] = 1;
  x[F.isPeer] = s.kind === 'peer' ? 1 : 0;
  x[F.isSolver] = s.kind === 'solver' ? 1 : 0;
  x[F.isCritic] = s.kind === 'critic' ? 1 : 0;
  x[F.turnFrac] = Math.min(1, s.turn / 10);
  x[F.firstUtterance] = s.turn === 0 ? 1 : 0;
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
  return x;
}
