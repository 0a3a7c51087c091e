/**
 * Planted pairs (docs/influence.md §7): preference pairs whose effect on the simulated model is
 * known from its own rules (docs/simulated-model.md), added to a candidate pool so that a reader
 * can see what each selection mode keeps.
 *
 * - Information exchange, at a state where the speaker holds a fact nobody has quoted and some
 *   needed fact is not in view: **harmful** = chosen answers now (ANSWER_TERSE, a wrong
 *   candidate), rejected shares the fact (SHARE_TERSE). An answer without every needed fact in
 *   view is a guess (0.05 + 0.2 · share in view) that no skill improves, and the pair teaches the
 *   move policy to answer before the exchange: the collapse `dits compare` shows.
 * - Debate, at a state where the solver may solve afresh: **harmful** = chosen is a terse wrong
 *   answer (SOLVE_TERSE), rejected a stepwise gold solution (SOLVE_STEPWISE). Both parts push the
 *   wrong way: terse solving is less accurate at equal skill (0.85 − 0.6d against 0.95 − 0.3d),
 *   and raising a wrong answer / lowering a gold one lowers both moves' answer skills.
 * - **helpful** = the same prompt with chosen and rejected swapped.
 *
 * States are real ones: the roots and first-turn nodes of the iteration's search trees, the
 * prompt built as a search pair's is (the speaker's system prompt, then the utterances from the
 * root). Texts come from the simulator's renderer with contents and phrasings it can produce
 * there. Each pair copies the Q values of a pool pair drawn by a keyed stream, the same pool pair
 * for a harmful pair and its mirror, so the Q side of the selection sees the pool's distribution
 * and cannot tell the two kinds apart.
 *
 * Position matters too: the selection breaks ties (common in Ĩ: few distinct probe metrics) by
 * pool position, earlier first, so pairs appended after the search's would lose every tie. Each
 * planted pair therefore gets a uniformly drawn position in the pool (`pool_index`), assigned
 * after a keyed shuffle, so that neither kind sits earlier than the other or than the search's
 * pairs on average.
 */
import type { ChatMessage } from '../base/model-backend.ts';
import { Rng, type KeyPart } from '../base/rng.ts';
import { M } from '../sim/moves.ts';
import { contents, type Content } from '../sim/outcomes.ts';
import { policyInput } from '../sim/policy.ts';
import { renderUtterance } from '../sim/render.ts';
import { dialogueState, type DialogueState } from '../sim/state.ts';
import { phrasings } from '../sim/templates.ts';
import type { SimWorld } from '../sim/world.ts';
import type { TreeRecord } from '../tree/codec.ts';

export const PLANT_KINDS = ['harmful', 'helpful'] as const;
export type PlantKind = (typeof PLANT_KINDS)[number];

export interface PlantCounts {
  harmful: number;
  helpful: number;
}

/** A planted pair, in the fields of a search pair (pairs.jsonl) plus its kind. */
export interface PlantedPair {
  task_id: string;
  node_path: number[];
  speaker: string;
  chosen_value: number;
  rejected_value: number;
  gap: number;
  prompt: ChatMessage[];
  chosen: string;
  rejected: string;
  planted: PlantKind;
  /** Where the pair goes in the candidate pool (search pairs fill the other positions, in order). */
  pool_index: number;
}

/** A planted pair as a line of the candidate pool. */
export type PlantedLine = Omit<PlantedPair, 'pool_index'>;

/** The Q fields of a pool pair, which a planted pair copies. */
export interface PoolQ {
  chosen_value: number;
  rejected_value: number;
  gap: number;
}

export interface PlantInput {
  world: SimWorld;
  trees: readonly TreeRecord[];
  /** Each agent's system prompt per task id, as the search dealt the context. */
  systemPrompts: (taskId: string) => readonly string[];
  /** Agent indices in turn order (scenarios/prompt.ts speakingOrder). */
  order: readonly number[];
  pool: readonly PoolQ[];
  counts: PlantCounts;
  /** Keys every draw (states, contents, phrasings, Q, the final order). */
  key: readonly KeyPart[];
}

interface PlantState {
  taskId: string;
  nodePath: number[];
  prompt: ChatMessage[];
  s: DialogueState;
}

/** Does the state allow both sides of its family's planted pair, by the simulator's own legality? */
function qualifies(s: DialogueState): boolean {
  if (!s.oracle.known || s.oracle.wrong.length === 0) return false;
  const { mask } = policyInput(s);
  if (s.world.family === 'information-exchange') return s.kind === 'peer' && mask[M.SHARE_TERSE] === 1 && mask[M.ANSWER_TERSE] === 1 && s.visibleNeeded < s.needed;
  return s.kind === 'solver' && mask[M.SOLVE_TERSE] === 1 && mask[M.SOLVE_STEPWISE] === 1;
}

/** Roots and first-turn nodes that are not the end of a dialogue, in tree order. */
function candidateStates(o: PlantInput): PlantState[] {
  const out: PlantState[] = [];
  for (const tree of o.trees) {
    const prompts = o.systemPrompts(tree.taskId);
    const nodes = [0, ...tree.parent.flatMap((p, n) => (n > 0 && p === 0 ? [n] : []))];
    for (const n of nodes) {
      if (tree.terminal[n]) continue;
      const depth = n === 0 ? 0 : 1;
      const agent = o.order[depth % o.order.length] as number;
      const speaker = tree.agents[agent] as string;
      const prompt: ChatMessage[] = [{ role: 'system', content: prompts[agent] as string }, ...(n === 0 ? [] : [{ role: 'assistant' as const, content: tree.text[n] as string }])];
      const s = dialogueState(o.world, prompt, speaker);
      if (!qualifies(s)) continue;
      const nodePath = n === 0 ? [] : [tree.parent.slice(0, n).filter((p) => p === 0).length];
      out.push({ taskId: tree.taskId, nodePath, prompt, s });
    }
  }
  return out;
}

/** The move's utterance in a phrasing drawn from `rng`. */
function render(s: DialogueState, move: number, content: Content, rng: Rng): string {
  return renderUtterance(s, move, content, rng.below(phrasings(s.world.family, move).length));
}

/** The state's harmful (chosen) and helpful (chosen) utterances. */
function sides(s: DialogueState, rng: Rng): { harmful: string; helpful: string } {
  const wrong = rng.pick(s.oracle.wrong);
  const answer = (move: number, value: string) => contents(s, move).find((c) => c.value === value) as Content;
  if (s.world.family === 'information-exchange') {
    return { harmful: render(s, M.ANSWER_TERSE, answer(M.ANSWER_TERSE, wrong), rng), helpful: render(s, M.SHARE_TERSE, contents(s, M.SHARE_TERSE)[0] as Content, rng) };
  }
  const gold = s.oracle.candidates[0] as string;
  return { harmful: render(s, M.SOLVE_TERSE, answer(M.SOLVE_TERSE, wrong), rng), helpful: render(s, M.SOLVE_STEPWISE, answer(M.SOLVE_STEPWISE, gold), rng) };
}

/**
 * The planted pairs: max(harmful, helpful) distinct states, harmful pairs on the first
 * `harmful` of them and helpful ones on the first `helpful`, so every state with both is a
 * mirror pair. Fewer when the trees have fewer qualifying states, none when the pool is empty
 * (there is no Q to copy).
 */
export function plantPairs(o: PlantInput): PlantedPair[] {
  if (o.pool.length === 0) return [];
  const states = Rng.keyed(...o.key, 'states').shuffle(candidateStates(o));
  const n = Math.min(states.length, Math.max(o.counts.harmful, o.counts.helpful));
  const out: Omit<PlantedPair, 'pool_index'>[] = [];
  for (let k = 0; k < n; k++) {
    const st = states[k] as PlantState;
    const rng = Rng.keyed(...o.key, 'state', k);
    const q = o.pool[rng.below(o.pool.length)] as PoolQ;
    const text = sides(st.s, rng);
    const pair = (kind: PlantKind): PlantedLine => ({
      task_id: st.taskId,
      node_path: st.nodePath,
      speaker: st.s.speaker,
      chosen_value: q.chosen_value,
      rejected_value: q.rejected_value,
      gap: q.gap,
      prompt: st.prompt,
      chosen: kind === 'harmful' ? text.harmful : text.helpful,
      rejected: kind === 'harmful' ? text.helpful : text.harmful,
      planted: kind,
    });
    if (k < o.counts.harmful) out.push(pair('harmful'));
    if (k < o.counts.helpful) out.push(pair('helpful'));
  }
  const size = o.pool.length + out.length;
  const positions = Rng.keyed(...o.key, 'positions')
    .shuffle(Array.from({ length: size }, (_, i) => i))
    .slice(0, out.length)
    .sort((a, b) => a - b);
  return Rng.keyed(...o.key, 'order')
    .shuffle(out)
    .map((p, i) => ({ ...p, pool_index: positions[i] as number }));
}

/** The candidate pool: the planted pairs at their positions (without them), the search's pairs in order around them. */
export function mergePlanted<T>(search: readonly T[], planted: readonly PlantedPair[]): (T | PlantedLine)[] {
  const size = search.length + planted.length;
  const at = new Map<number, PlantedLine>();
  for (const { pool_index, ...line } of planted) {
    if (!Number.isInteger(pool_index) || pool_index < 0 || pool_index >= size || at.has(pool_index)) {
      throw new RangeError(`planted pair position ${pool_index} is not a free position in a pool of ${size}`);
    }
    at.set(pool_index, line);
  }
  let next = 0;
  return Array.from({ length: size }, (_, i) => at.get(i) ?? (search[next++] as T));
}

/** Per kind, the pairs planted and the pairs a selection kept. */
export type PlantedKept = Record<PlantKind, { planted: number; kept: number }>;

export function plantedKept(planted: readonly { planted?: PlantKind }[], kept: readonly { planted?: PlantKind }[]): PlantedKept {
  const count = (lines: readonly { planted?: PlantKind }[], kind: PlantKind) => lines.filter((l) => l.planted === kind).length;
  return {
    harmful: { planted: count(planted, 'harmful'), kept: count(kept, 'harmful') },
    helpful: { planted: count(planted, 'helpful'), kept: count(kept, 'helpful') },
  };
}
