/**
 * Outcome rules: what a move says, as a distribution over contents (which answer, which
 * facts, which step). This is where the trade-offs live: an IE answer is usually right only
 * when every needed fact is in view; stepwise solving beats terse solving; a revision after a
 * challenge (more so after a hint) may fix a wrong answer.
 *
 * The base accuracy of each situation (ACCURACY) is fixed. What training can change is an
 * answer move's skill: p_gold = σ(logit(p_base) + SKILL_CAP·tanh(skill / SKILL_CAP)), so a
 * trained move answers more (or less) accurately than the base, within SKILL_CAP logits of it.
 * Skill does not apply to an IE answer given without every needed fact in view: a guess stays
 * a guess, however many right guesses the model was trained on.
 */
import { M } from './moves.ts';
import type { OracleRecord } from './oracle.ts';
import type { DialogueState } from './state.ts';

/** One possible content of a move, with its probability given the move and state. */
export interface Content {
  p: number;
  /** Raw answer value to render (answer-bearing moves). */
  value?: string;
  /** Fact groups to quote, one group per context piece (sharing moves). */
  facts?: number[][];
  /** Step number a hint points at. */
  step?: number;
  /**
   * dp / dp_gold, present when the move's skill applies: p is affine in the move's gold
   * probability p_gold (1 for the gold content, minus its share of the rest for a wrong one).
   */
  dg?: number;
}

/** Probability that an answer is the gold one, by situation; d is the task difficulty. */
export const ACCURACY = {
  /** IE, every needed fact in view. */
  informed: (d: number) => 0.95 - 0.45 * d,
  /** IE, some needed fact missing: a guess, a little better with more facts in view. */
  guess: (visibleFrac: number) => 0.03 + 0.12 * visibleFrac,
  /** Extra accuracy of an answer that spells out its reasoning (IE). */
  reasonedBonus: 0.05,
  solveTerse: (d: number) => 0.85 - 0.6 * d,
  solveStepwise: (d: number) => 0.95 - 0.3 * d,
  /** Revision of a right answer keeps it with this probability. */
  reviseKeepsRight: 0.85,
  /** Revision of a wrong answer fixes it with this probability (plus hintBonus after a hint). */
  reviseFixes: (d: number) => 0.45 - 0.25 * d,
  hintBonus: 0.2,
} as const;

/**
 * How far, in logits, answer skill can move p_gold from its base: 1 logit takes a base 0.5 to
 * 0.27-0.73 and a base 0.8 to 0.6-0.92 (see docs/simulated-model.md for the choice).
 */
export const SKILL_CAP = 1;

/** Hints point at one of the first few steps. */
const MAX_HINT_STEP = 5;

const clampP = (p: number) => Math.min(0.98, Math.max(0.02, p));

/**
 * The probability that an answer with base accuracy `base` (in (0, 1)) and skill `skill`
 * states the gold: σ(logit(base) + SKILL_CAP·tanh(skill / SKILL_CAP)); exactly `base` at 0.
 */
export function skilledAccuracy(base: number, skill: number): number {
  if (skill === 0) return base;
  const z = Math.log(base / (1 - base)) + SKILL_CAP * Math.tanh(skill / SKILL_CAP);
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** d skilledAccuracy(base, skill) / d skill = p(1 − p)·(1 − tanh²(skill / SKILL_CAP)). */
export function skilledAccuracySlope(base: number, skill: number): number {
  const g = skilledAccuracy(base, skill);
  const t = Math.tanh(skill / SKILL_CAP);
  return g * (1 - g) * (1 - t * t);
}

/** The base accuracy of an answer-producing move in `s`, and whether its skill applies. */
export interface BaseAccuracy {
  base: number;
  skilled: boolean;
}

/**
 * p_base (clamped to [0.02, 0.98]) of the answer `move` gives in `s` - for a revision, the
 * probability that it states the gold (keeping a right answer or fixing a wrong one) - and
 * whether the move's skill applies: everywhere but an IE answer with a needed fact missing.
 * Null for a move that gives no answer of its own.
 */
export function baseAccuracy(s: DialogueState, move: number): BaseAccuracy | null {
  const o = s.oracle;
  const d = o.difficulty;
  switch (move) {
    case M.ANSWER_TERSE:
    case M.ANSWER_REASONED: {
      const bonus = move === M.ANSWER_REASONED ? ACCURACY.reasonedBonus : 0;
      const covered = s.visibleNeeded === s.needed;
      const frac = s.needed === 0 ? 1 : s.visibleNeeded / s.needed;
      return { base: clampP((covered ? ACCURACY.informed(d) : ACCURACY.guess(frac)) + bonus), skilled: covered };
    }
    case M.SOLVE_TERSE:
      return { base: clampP(ACCURACY.solveTerse(d)), skilled: true };
    case M.SOLVE_STEPWISE:
      return { base: clampP(ACCURACY.solveStepwise(d)), skilled: true };
    case M.REVISE: {
      if (o.goldParsed.has(s.ownLastAnswer)) return { base: ACCURACY.reviseKeepsRight, skilled: true };
      const hinted = s.last !== null && (s.last.moves & (1 << M.HINT)) !== 0;
      return { base: clampP(ACCURACY.reviseFixes(d) + (hinted ? ACCURACY.hintBonus : 0)), skilled: true };
    }
    default:
      return null;
  }
}

/** The raw candidate whose parsed form is `parsed`, so a restated answer parses identically. */
function rawFor(oracle: OracleRecord, parsed: string): string {
  const i = oracle.parsed.indexOf(parsed);
  return i >= 0 ? (oracle.candidates[i] as string) : parsed;
}

/** p_gold of an answer: the base, moved by the skill where the skill applies. */
function goldProbability(acc: BaseAccuracy, skill: number): number {
  return acc.skilled ? skilledAccuracy(acc.base, skill) : acc.base;
}

/** Gold with probability acc → p_gold, the wrong candidates sharing the rest equally. */
function answerSpread(oracle: OracleRecord, acc: BaseAccuracy, skill: number): Content[] {
  if (!oracle.known) return oracle.candidates.map((value) => ({ p: 1 / oracle.candidates.length, value }));
  const wrong = oracle.candidates.length - 1;
  if (wrong === 0) return [{ p: 1, value: oracle.candidates[0] as string }];
  const pg = goldProbability(acc, skill);
  if (!acc.skilled) return oracle.candidates.map((value, i) => ({ p: i === 0 ? pg : (1 - pg) / wrong, value }));
  return oracle.candidates.map((value, i) => (i === 0 ? { p: pg, value, dg: 1 } : { p: (1 - pg) / wrong, value, dg: -1 / wrong }));
}

/** A revision: keeps a right answer or fixes a wrong one with probability p_gold. */
function revision(s: DialogueState, acc: BaseAccuracy, skill: number): Content[] {
  const o = s.oracle;
  if (!o.known) return answerSpread(o, acc, skill);
  const current = s.ownLastAnswer;
  const wrongIdx = o.parsed.map((_, i) => i).filter((i) => i > 0 && o.parsed[i] !== current);
  const spread = (mass: number, dg: number, out: Content[]) => {
    for (const i of wrongIdx) out.push({ p: mass / wrongIdx.length, value: o.candidates[i] as string, dg: dg / wrongIdx.length });
  };
  const pg = goldProbability(acc, skill);
  if (o.goldParsed.has(current)) {
    // Nothing else to say: the right answer is kept, whatever the skill.
    if (wrongIdx.length === 0) return [{ p: 1, value: rawFor(o, current) }];
    const out: Content[] = [{ p: pg, value: rawFor(o, current), dg: 1 }];
    spread(1 - pg, -1, out);
    return out;
  }
  // A failed fix keeps the wrong answer or moves to another wrong one, half and half.
  const out: Content[] = [{ p: pg, value: o.candidates[0] as string, dg: 1 }];
  if (wrongIdx.length === 0) out.push({ p: 1 - pg, value: rawFor(o, current), dg: -1 });
  else {
    out.push({ p: (1 - pg) / 2, value: rawFor(o, current), dg: -0.5 });
    spread((1 - pg) / 2, -0.5, out);
  }
  return out;
}

/**
 * The contents move `move` can have in state `s`, with probabilities summing to 1; `skill` is
 * the move's answer skill (params.ts `skillOf`; moves without one ignore it).
 */
export function contents(s: DialogueState, move: number, skill = 0): Content[] {
  const o = s.oracle;
  switch (move) {
    case M.SHARE_TERSE:
      return [{ p: 1, facts: s.unshared.slice(0, 1) }];
    case M.SHARE_VERBOSE:
      return [{ p: 1, facts: s.unshared }];
    case M.ANSWER_TERSE:
    case M.ANSWER_REASONED:
    case M.SOLVE_TERSE:
    case M.SOLVE_STEPWISE:
      return answerSpread(o, baseAccuracy(s, move) as BaseAccuracy, skill);
    case M.REVISE:
      return revision(s, baseAccuracy(s, move) as BaseAccuracy, skill);
    case M.DEFEND:
      return [{ p: 1, value: rawFor(o, s.ownLastAnswer) }];
    case M.AGREE:
    case M.ACCEPT:
      return [{ p: 1, value: rawFor(o, s.lastAnswer?.value ?? '') }];
    case M.HINT: {
      const k = Math.max(1, Math.min(MAX_HINT_STEP, o.goldSteps.length || 3));
      return Array.from({ length: k }, (_, i) => ({ p: 1 / k, step: i + 1 }));
    }
    default:
      return [{ p: 1 }];
  }
}

/** Index drawn from contents by a uniform u in [0, 1) (inverse CDF). */
export function pickContent(options: readonly Content[], u: number): Content {
  let acc = 0;
  for (const c of options) {
    acc += c.p;
    if (u < acc) return c;
  }
  return options[options.length - 1] as Content;
}
