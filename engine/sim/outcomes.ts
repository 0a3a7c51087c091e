/**
 * Outcome rules: what a move says, as a distribution over contents (which answer, which
 * facts, which step). This is where the trade-offs live: an IE answer is usually right only
 * when every needed fact is in view; stepwise solving beats terse solving; a revision after a
 * challenge (more so after a hint) may fix a wrong answer. These rules are fixed - training
 * changes which moves the model makes, not what it knows.
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
}

/** Probability that an answer is the gold one, by situation; d is the task difficulty. */
export const ACCURACY = {
  /** IE, every needed fact in view. */
  informed: (d: number) => 0.9 - 0.2 * d,
  /** IE, some needed fact missing: a guess, a little better with more facts in view. */
  guess: (visibleFrac: number) => 0.05 + 0.2 * visibleFrac,
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

/** Hints point at one of the first few steps. */
const MAX_HINT_STEP = 5;

const clampP = (p: number) => Math.min(0.98, Math.max(0.02, p));

/** The raw candidate whose parsed form is `parsed`, so a restated answer parses identically. */
function rawFor(oracle: OracleRecord, parsed: string): string {
  const i = oracle.parsed.indexOf(parsed);
  return i >= 0 ? (oracle.candidates[i] as string) : parsed;
}

/** Gold with probability pGold, the wrong candidates sharing the rest equally. */
function answerSpread(oracle: OracleRecord, pGold: number): Content[] {
  if (!oracle.known) return oracle.candidates.map((value) => ({ p: 1 / oracle.candidates.length, value }));
  const wrong = oracle.candidates.length - 1;
  if (wrong === 0) return [{ p: 1, value: oracle.candidates[0] as string }];
  const pg = clampP(pGold);
  return oracle.candidates.map((value, i) => ({ p: i === 0 ? pg : (1 - pg) / wrong, value }));
}

function revision(s: DialogueState): Content[] {
  const o = s.oracle;
  if (!o.known) return answerSpread(o, 0);
  const current = s.ownLastAnswer;
  const wrongIdx = o.parsed.map((_, i) => i).filter((i) => i > 0 && o.parsed[i] !== current);
  const spread = (mass: number, out: Content[]) => {
    for (const i of wrongIdx) out.push({ p: mass / wrongIdx.length, value: o.candidates[i] as string });
  };
  if (o.goldParsed.has(current)) {
    const out: Content[] = [{ p: ACCURACY.reviseKeepsRight, value: rawFor(o, current) }];
    if (wrongIdx.length > 0) spread(1 - ACCURACY.reviseKeepsRight, out);
    else (out[0] as Content).p = 1;
    return out;
  }
  const hinted = s.last !== null && (s.last.moves & (1 << M.HINT)) !== 0;
  const fix = clampP(ACCURACY.reviseFixes(o.difficulty) + (hinted ? ACCURACY.hintBonus : 0));
  // A failed fix keeps the wrong answer or moves to another wrong one, half and half.
  const out: Content[] = [{ p: fix, value: o.candidates[0] as string }];
  if (wrongIdx.length === 0) out.push({ p: 1 - fix, value: rawFor(o, current) });
  else {
    out.push({ p: (1 - fix) / 2, value: rawFor(o, current) });
    spread((1 - fix) / 2, out);
  }
  return out;
}

/** The contents move `move` can have in state `s`, with probabilities summing to 1. */
export function contents(s: DialogueState, move: number): Content[] {
  const o = s.oracle;
  const d = o.difficulty;
  switch (move) {
    case M.SHARE_TERSE:
      return [{ p: 1, facts: s.unshared.slice(0, 1) }];
    case M.SHARE_VERBOSE:
      return [{ p: 1, facts: s.unshared }];
    case M.ANSWER_TERSE:
    case M.ANSWER_REASONED: {
      const bonus = move === M.ANSWER_REASONED ? ACCURACY.reasonedBonus : 0;
      const covered = s.visibleNeeded === s.needed;
      const frac = s.needed === 0 ? 1 : s.visibleNeeded / s.needed;
      return answerSpread(o, (covered ? ACCURACY.informed(d) : ACCURACY.guess(frac)) + bonus);
    }
    case M.SOLVE_TERSE:
      return answerSpread(o, ACCURACY.solveTerse(d));
    case M.SOLVE_STEPWISE:
      return answerSpread(o, ACCURACY.solveStepwise(d));
    case M.REVISE:
      return revision(s);
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
