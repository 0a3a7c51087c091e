/**
 * The simulated model's moves: what an utterance does, before it is put into words. The
 * order is fixed (it indexes the weight matrix and breaks ties at temperature 0).
 */

export const MOVES = [
  // information exchange (every agent is a peer)
  'SHARE_TERSE', // quote the next held context piece nobody has quoted yet
  'SHARE_VERBOSE', // quote every held piece not yet quoted, with more words around them
  'ASK', // ask the partner for information (IE) or for a solution (debate critic, nothing to check yet)
  'ANSWER_TERSE', // state an answer
  'ANSWER_REASONED', // state an answer with the chain of facts behind it (more tokens, a little more accurate)
  'AGREE', // restate the partner's answer: ends the dialogue
  // debate, solver
  'SOLVE_TERSE', // answer without working
  'SOLVE_STEPWISE', // worked solution, then the answer (more tokens, more accurate)
  'REVISE', // after a challenge: a new worked solution, which may fix the answer
  'DEFEND', // restate the own answer: ends the dialogue
  // debate, critic
  'CHALLENGE', // dispute the answer without giving one
  'HINT', // point at a step without giving the answer (a revision after it fixes more often)
  'ACCEPT', // restate the answer: ends the dialogue
] as const;

export type MoveName = (typeof MOVES)[number];
export const MOVE_COUNT = MOVES.length;

/** Move index by name, for readable code. */
export const M = Object.fromEntries(MOVES.map((m, i) => [m, i])) as { readonly [K in MoveName]: number };

/** What an agent acts as: the family decides (IE: peer), then the scenario role (debate). */
export type AgentKind = 'peer' | 'solver' | 'critic';

export const IE_MOVES = [M.SHARE_TERSE, M.SHARE_VERBOSE, M.ASK, M.ANSWER_TERSE, M.ANSWER_REASONED, M.AGREE];
export const SOLVER_MOVES = [M.SOLVE_TERSE, M.SOLVE_STEPWISE, M.REVISE, M.DEFEND];
export const CRITIC_MOVES = [M.ASK, M.CHALLENGE, M.HINT, M.ACCEPT];

/**
 * Moves that produce an answer of their own and so carry a trainable answer skill (params.ts
 * `skills`, in this order). AGREE, ACCEPT and DEFEND restate an answer already given: their
 * content is fixed, so they have none.
 */
export const SKILL_MOVES = ['ANSWER_TERSE', 'ANSWER_REASONED', 'SOLVE_TERSE', 'SOLVE_STEPWISE', 'REVISE'] as const satisfies readonly MoveName[];
export type SkillMoveName = (typeof SKILL_MOVES)[number];
export const SKILL_COUNT = SKILL_MOVES.length;

/** Index into `skills` of each move, −1 for moves without a skill. */
export const SKILL_OF: Int8Array = Int8Array.from(MOVES, (m) => (SKILL_MOVES as readonly string[]).indexOf(m));
