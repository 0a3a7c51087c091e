/**
 * Dealing a task's context to the agents (§1.2). Each rule returns, per agent, the lines of
 * information it is given. Randomness comes from the caller's keyed Rng, so a split depends
 * only on (run seed, task id).
 */
import type { Scenario, SplitRule } from './schema.ts';
import type { ContextPiece, Task } from './task.ts';

/** What a deal draws on: the engine's keyed Rng has both (scenarios sit below the engine, so they name only this). */
export interface DealRandom {
  below(n: number): number;
  shuffle<T>(items: readonly T[]): T[];
}

type Deal = (pieces: readonly ContextPiece[], agents: number, rng: DealRandom) => ContextPiece[][];

function emptyHands(agents: number): ContextPiece[][] {
  return Array.from({ length: agents }, () => []);
}

/** Supporting pieces dealt round-robin in the given order, the rest each to a random agent; hands keep source order. */
function dealSupporting(order: (supporting: ContextPiece[], rng: DealRandom) => ContextPiece[]): Deal {
  return (pieces, agents, rng) => {
    const owner = new Map<ContextPiece, number>();
    order(pieces.filter((p) => p.supporting), rng).forEach((p, i) => owner.set(p, i % agents));
    for (const p of pieces) if (!p.supporting) owner.set(p, rng.below(agents));
    const hands = emptyHands(agents);
    for (const p of pieces) hands[owner.get(p) as number]?.push(p);
    return hands;
  };
}

const DEALS: Record<SplitRule, Deal> = {
  none: (_pieces, agents) => emptyHands(agents),
  'alternate-supporting-shuffled': dealSupporting((s, rng) => rng.shuffle(s)),
  'alternate-supporting-ordered': dealSupporting((s) => s),
  'shuffle-alternate': (pieces, agents, rng) => {
    const hands = emptyHands(agents);
    rng.shuffle(pieces).forEach((p, i) => hands[i % agents]?.push(p));
    return hands;
  },
  halves: (pieces, agents) => {
    // The story's sentences in order, cut into contiguous runs: with two agents, halves.
    const sentences = pieces.flatMap((p) => p.sentences);
    const size = Math.ceil(sentences.length / agents);
    return Array.from({ length: agents }, (_, a) => [
      { sentences: sentences.slice(a * size, (a + 1) * size), supporting: true },
    ]);
  },
};

/** The information lines each agent receives, in agent order. */
export function splitContext(scenario: Scenario, task: Task, rng: DealRandom): string[][] {
  const hands = DEALS[scenario.context.split](task.context, scenario.agents.length, rng);
  return hands.map((hand) =>
    hand.flatMap((p) => (scenario.context.firstSentenceOnly ? p.sentences.slice(0, 1) : p.sentences)).filter((s) => s.length > 0),
  );
}
