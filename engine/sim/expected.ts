/**
 * The expected test metric of one task under the simulated model at temperature T > 0, by
 * enumerating the dialogue instead of sampling it: what the mean of `evaluate`'s score
 * (actors/run-stages.ts) over infinitely many `generate`-mode dialogues at T would be.
 *
 * Each turn the model draws a move (moveProbabilities at T), a content (`contents` at the
 * move's skill, not tempered) and a phrasing. The phrasing has no future: the model reads a
 * dialogue back only through `analyseUtterance` (speaker, parsed answer, the moves whose
 * templates match, quoted facts), every slot of a template renders the same text whatever the
 * phrasing, and no phrasing's own words quote a fact, hold an answer or match another move
 * that is read (test/sim/expected.test.ts checks the next states and the parsed answer). So
 * each (move, content) is rendered in phrasing 0 and its phrasings are summed over implicitly,
 * whatever their distribution. The exception is a reply near `maxTokens`, where the
 * phrasing's length can decide an overflow (`phrasingSplit`).
 *
 * The dialogue runs on engine/dialogue/dialogue.ts (`nextTurn`, `applyReply`, `cappedDialogue`) and each
 * reply is the sampler's own Completion (sample.ts `finish`), so termination, the cap and
 * overflow are the engine's, not a copy of them.
 *
 * Histories that leave every agent in the same state are merged (`Summary`), and the states of
 * one length are expanded once each, so the cost is the number of distinct states, not paths.
 */
import { agentMessages, applyReply, cappedDialogue, ERROR, LARGE, nextTurn, runDialogue, type DialogueOptions, type DialogueSetup, type Utterance } from '../dialogue/dialogue.ts';
import type { Completion } from '../base/model-backend.ts';
import { scoreAnswer } from '../../scenarios/metrics/index.ts';
import { SimBackend } from './backend.ts';
import { M, MOVE_COUNT } from './moves.ts';
import { contents, type Content } from './outcomes.ts';
import { skillOf, type SimParams } from './params.ts';
import { moveProbabilities, policyInput } from './policy.ts';
import { renderUtterance } from './render.ts';
import { finish } from './sample.ts';
import { analyseUtterance, dialogueState, type DialogueState } from './state.ts';
import type { UtteranceInfo } from './world.ts';
import { phrasings, type Family } from './templates.ts';
import { phrasingProbabilities } from './wording.ts';
import { countTokens } from './tokcount.ts';
import type { SimWorld } from './world.ts';

export interface ExpectedOptions {
  /** Sampling temperature; at 0 the model is greedy and the one dialogue is the distribution. */
  temperature: number;
  /**
   * A reply is not followed when the probability of reaching it (its state's, all histories
   * merged, times its own) is below this; so every dialogue of probability ≥ prune is
   * enumerated (default DEFAULT_PRUNE; 0 enumerates everything).
   */
  prune?: number;
  /** Merge histories that reach the same state (default true; false enumerates every path, to test the merge). */
  merge?: boolean;
  /** Verify every merge against the agents' DialogueStates, field by field (slow; for tests). */
  check?: boolean;
}

export interface ExpectedMetric {
  /**
   * Σ over the enumerated dialogues of p(dialogue) · score (LARGE and ERROR score 0). For a
   * metric in [0, 1] the exact expectation lies in [metric, metric + (1 − mass)].
   */
  metric: number;
  /** Probability of the enumerated dialogues (1 up to rounding when nothing was pruned). */
  mass: number;
  /** States expanded: the cost. */
  nodes: number;
}

/**
 * Chosen by measurement (bench/expected.ts --sweep, docs/simulated-model.md): on generated
 * tasks with the base parameters, 1e-6 leaves 4e-3 of an IE task's mass unenumerated (1e-5:
 * 3e-2, 1e-7: 4e-4) at about two thirds of the cost of 1e-7, and 2e-5 of a debate task's.
 */
export const DEFAULT_PRUNE = 1e-6;

/** Final answer → probability, over the enumerated dialogues. */
export type Outcomes = Map<string, number>;

const add = (into: Outcomes, answer: string, p: number) => into.set(answer, (into.get(answer) ?? 0) + p);

/**
 * The distribution of the final answer (LARGE and ERROR included) of `setup`'s dialogue when the
 * simulated model with `params` plays every agent in `generate` mode at `opts.temperature`, as
 * far as enumerated: the probabilities sum to the enumerated mass. `world` must hold the task
 * and be built for `setup.scenario` (the answers the model reads must be the ones the dialogue
 * parses).
 */
export async function finalAnswerDistribution(world: SimWorld, params: SimParams, setup: DialogueSetup, opts: ExpectedOptions): Promise<{ outcomes: Outcomes; nodes: number }> {
  const { scenario } = setup;
  if (world.format !== scenario.answer.format || world.family !== scenario.family) {
    throw new Error(`expectedMetric: the world is built for ${world.family}/${world.format}, scenario ${scenario.name} is ${scenario.family}/${scenario.answer.format}`);
  }
  const prune = opts.prune ?? DEFAULT_PRUNE;
  if (!(prune >= 0 && prune < 1)) throw new RangeError(`expectedMetric: prune must be in [0, 1), got ${prune}`);
  if (!(opts.temperature > 0)) {
    // Greedy output ignores the seed.
    const d = await runDialogue(setup, new SimBackend(world, params), { seedKey: ['expected'], temperature: 0, mode: 'generate' });
    return { outcomes: new Map([[d.finalAnswer, 1]]), nodes: d.utterances.length };
  }
  const e = new Enumerator(world, params, setup, opts.temperature, opts.merge ?? true, opts.check ?? false);
  const outcomes = e.run(prune);
  return { outcomes, nodes: e.nodes };
}

/**
 * The expected test metric of `setup`'s task: `scoreAnswer` of the final answer (0 for LARGE
 * and ERROR, as run-stages `evaluate` scores it), averaged over `finalAnswerDistribution`.
 */
export async function expectedMetric(world: SimWorld, params: SimParams, setup: DialogueSetup, opts: ExpectedOptions): Promise<ExpectedMetric> {
  const { scenario, task } = setup;
  const { outcomes, nodes } = await finalAnswerDistribution(world, params, setup, opts);
  let metric = 0;
  let mass = 0;
  // In answer order, so the sums do not depend on the order the answers were met in.
  for (const [answer, p] of [...outcomes].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))) {
    mass += p;
    if (answer === LARGE || answer === ERROR) continue;
    metric += p * (await scoreAnswer(scenario.metric, answer, task.answers));
  }
  return { metric, mass, nodes };
}

/**
 * What the future of a dialogue depends on: a sufficient statistic of the history for every
 * agent's DialogueState (state.ts), at the coarseness its readers use at T > 0, and for the
 * engine's termination (the last answer, the length). Each field is updated from its previous
 * value and the new utterance alone, so histories with one summary have one future;
 * `checkMerge` tests that claim against the states themselves. Strings and fact sets are
 * interned per task, so a summary is a few small integers (layout below) and its key is short.
 */
type Summary = Int32Array;
const TURN = 0;
/** The set of facts quoted so far (an answer's reasoning chain cites them). */
const QUOTED = 1;
const LAST_ANSWER = 2;
const LAST_ANSWER_BY = 3;
/** Challenges and hints so far, saturated where the challengeCount feature saturates. */
const CHALLENGES = 4;
/** Of the last utterance (−1 before any): the move bits anything reads, plus ANSWERED. */
const LAST = 5;
/** Then per scenario agent, in order: */
const AGENT = 6;
const ANSWERED_OWN = 0;
/** The agent's last answer, kept for a solver only: REVISE and DEFEND read it. */
const OWN_LAST = 1;
/** Another speaker has quoted a fact. */
const PARTNER_SHARED = 2;
/** The last other agent who spoke ('' before any). */
const PARTNER = 3;
const PER_AGENT = 4;

/** A 52-bit hash of a summary (two 26-bit FNV-1a lanes): a Map key; equal hashes are compared in full. */
function summaryHash(x: Summary): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    a = Math.imul(a ^ v, 0x01000193);
    b = Math.imul(b ^ (v + i), 0x5bd1e995) ^ (b >>> 13);
  }
  return (a >>> 6) * 0x4000000 + (b >>> 6);
}

function sameSummary(x: Summary, y: Summary): boolean {
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** The bits of an utterance's moves anything reads: features (asked, challenged), legality, the hint bonus. */
const READ_MOVES = (1 << M.ASK) | (1 << M.CHALLENGE) | (1 << M.HINT);
const CHALLENGE_MOVES = (1 << M.CHALLENGE) | (1 << M.HINT);
const ANSWERED = 1 << MOVE_COUNT;
/** Where the challengeCount feature (min(1, challenges / 3)) saturates. */
const CHALLENGES_READ = 3;

/** A reply text as the dialogue takes it (the sampler's completion) and as the model reads it. */
interface Reply {
  text: string;
  completion: Completion;
  info: UtteranceInfo;
  bytes: number;
}

/** A state of one layer: the probability of reaching it, one history that does, and its summary. */
interface Entry {
  p: number;
  utterances: Utterance[];
  summary: Summary;
}

class Enumerator {
  nodes = 0;
  private readonly dialogue: DialogueOptions;
  private readonly names: string[];
  private readonly solver: boolean[];
  private readonly speakers: ReadonlySet<string>;
  private readonly maxTokens: number;
  /** Replies repeat across the states of one task (answers above all), and `finish` counts tokens. */
  private readonly replies = new Map<string, Reply>();
  private readonly out: Outcomes = new Map();
  /** The layer being built: by summary hash, and in order of arrival. */
  private readonly next = new Map<number, Entry[]>();
  private order: Entry[] = [];
  /** Interned strings ('' is 0) and fact sets ([] is 0). */
  private readonly ids = new Map<string, number>([['', 0]]);
  private readonly factSets: number[][] = [[]];
  private readonly factSetIds = new Map<string, number>([['', 0]]);

  constructor(
    private readonly world: SimWorld,
    private readonly params: SimParams,
    private readonly setup: DialogueSetup,
    private readonly temperature: number,
    private readonly merge: boolean,
    private readonly check: boolean,
  ) {
    this.dialogue = { seedKey: [], temperature, mode: 'generate' };
    this.names = setup.scenario.agents.map((a) => a.name);
    this.solver = this.names.map((n) => world.kindOf(n) === 'solver');
    this.speakers = new Set(world.agents.map((a) => a.name));
    this.maxTokens = setup.scenario.turns.maxTokens;
  }

  /**
   * Forward over turns. Every reply adds one utterance, so the states of one length form a
   * layer; each is expanded once, with the total probability of the histories that reach it.
   * A reply is followed when that probability times the reply's own reaches `prune`.
   */
  run(prune: number): Outcomes {
    const root: Summary = new Int32Array(AGENT + PER_AGENT * this.names.length);
    root[LAST] = -1;
    let layer: Entry[] = [{ p: 1, utterances: [], summary: root }];
    while (layer.length > 0) {
      // One length, so one speaker and one verdict on the cap. nextTurn is asked once per
      // layer because its request seed (a SHA-256, never read here) costs a quarter of a
      // state; the messages are the ones it sends (agentMessages).
      const turn = nextTurn(this.setup, (layer[0] as Entry).utterances, this.dialogue);
      if (turn === null) {
        for (const e of layer) add(this.out, cappedDialogue(e.utterances, 'generate').finalAnswer, e.p);
        break;
      }
      const prompt = this.setup.systemPrompts[turn.agentIndex] as string;
      this.next.clear();
      this.order = [];
      for (const e of layer) {
        this.nodes++;
        this.expand(dialogueState(this.world, agentMessages(prompt, e.utterances), turn.request.speaker), e, prune);
      }
      layer = this.order;
    }
    return this.out;
  }

  /** Every followed reply of state `s`, into the outcomes or the next layer. */
  private expand(s: DialogueState, e: Entry, prune: number): void {
    const probs = moveProbabilities(this.params, policyInput(s), this.temperature);
    // Rng.weighted normalises by the total, so the enumeration does too.
    let total = 0;
    for (let m = 0; m < MOVE_COUNT; m++) total += probs[m] as number;
    for (let m = 0; m < MOVE_COUNT; m++) {
      const pm = (e.p * (probs[m] as number)) / total;
      if (!(pm > 0) || pm < prune) continue;
      const options = contents(s, m, skillOf(this.params, m));
      let ctotal = 0;
      for (const c of options) ctotal += c.p;
      for (const c of options) {
        const p = (pm * c.p) / ctotal;
        if (!(p > 0) || p < prune) continue;
        const r = this.reply(s, renderUtterance(s, m, c, 0));
        const split = this.phrasingSplit(s, m, c, r);
        if (split === null) this.follow(s, e, p, r.completion, r.info);
        else for (const { completion, w } of split) if (p * w >= prune) this.follow(s, e, p * w, completion, null);
      }
    }
  }

  private follow(s: DialogueState, e: Entry, p: number, completion: Completion, info: UtteranceInfo | null): void {
    const step = applyReply(this.setup, e.utterances, s.speaker, completion, countTokens, 'generate');
    if (step.done) {
      add(this.out, step.done.finalAnswer, p);
      return;
    }
    const summary = this.update(e.summary, info ?? analyseUtterance(this.world, s.view, (step.utterances.at(-1) as Utterance).text));
    const key = this.merge ? summaryHash(summary) : this.order.length;
    const bucket = this.next.get(key);
    if (bucket) {
      for (const same of bucket) {
        if (!sameSummary(same.summary, summary)) continue;
        if (this.check) this.checkMerge(same.utterances, step.utterances);
        same.p += p;
        return;
      }
    }
    const entry = { p, utterances: step.utterances, summary };
    if (bucket) bucket.push(entry);
    else this.next.set(key, [entry]);
    this.order.push(entry);
  }

  private reply(s: DialogueState, text: string): Reply {
    let r = this.replies.get(text);
    if (!r) {
      // A text starts with its speaker's name, so it is always read in that speaker's view.
      r = { text, completion: finish(text, this.maxTokens), info: analyseUtterance(this.world, s.view, text), bytes: Buffer.byteLength(text) };
      this.replies.set(text, r);
    }
    return r;
  }

  /**
   * Null when every phrasing of (move, content) overflows alike, so that phrasing 0 stands for
   * all of them; otherwise each phrasing's completion and probability. A Llama-3 token is at
   * least one UTF-8 byte, so a text shorter in bytes than maxTokens cannot overflow, and the
   * phrasings' byte lengths follow from phrasing 0's without rendering them (`templateBytes`).
   * Each phrasing weighs what the model's wording gives it (wording.ts), as sample.ts draws it.
   */
  private phrasingSplit(s: DialogueState, move: number, c: Content, r0: Reply): Array<{ completion: Completion; w: number }> | null {
    const t = templateBytes(s.world.family, move);
    if (t !== null) {
      const partner = t.partners.some((n) => n !== t.partners[0]) ? Buffer.byteLength(s.partner) : 0;
      let longest = 0;
      for (let ph = 0; ph < t.literal.length; ph++) {
        longest = Math.max(longest, (t.literal[ph] as number) - (t.literal[0] as number) + ((t.partners[ph] as number) - (t.partners[0] as number)) * partner);
      }
      if (r0.bytes + longest < this.maxTokens) return null;
    }
    const k = phrasings(s.world.family, move).length;
    const completions = Array.from({ length: k }, (_, ph) => (ph === 0 ? r0.completion : finish(renderUtterance(s, move, c, ph), this.maxTokens)));
    const over = completions.map((x) => x.finishReason === 'length' || x.tokens >= this.maxTokens);
    if (over.every((o) => o === over[0])) return null;
    const pi = phrasingProbabilities(this.params, s.world.family, move);
    return completions.map((completion, ph) => ({ completion, w: pi[ph] as number }));
  }

  private id(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) this.ids.set(text, (id = this.ids.size));
    return id;
  }

  /** The summary after utterance `u`: dialogueState's bookkeeping, one utterance at a time. */
  private update(x: Summary, u: UtteranceInfo): Summary {
    const y = x.slice();
    y[TURN] = (x[TURN] as number) + 1;
    const quoted = this.factSets[x[QUOTED] as number] as number[];
    if (u.facts.some((f) => !quoted.includes(f))) {
      const union = [...new Set([...quoted, ...u.facts])].sort((a, b) => a - b);
      const key = union.join(',');
      let id = this.factSetIds.get(key);
      if (id === undefined) {
        this.factSetIds.set(key, (id = this.factSets.length));
        this.factSets.push(union);
      }
      y[QUOTED] = id;
    }
    const answered = u.answer !== '';
    const answer = answered ? this.id(u.answer) : 0;
    const speaker = this.id(u.speaker);
    if (answered) {
      y[LAST_ANSWER] = answer;
      y[LAST_ANSWER_BY] = speaker;
    }
    if (u.moves & CHALLENGE_MOVES) y[CHALLENGES] = Math.min((x[CHALLENGES] as number) + 1, CHALLENGES_READ);
    y[LAST] = (u.moves & READ_MOVES) | (answered ? ANSWERED : 0);
    const known = this.speakers.has(u.speaker);
    for (let i = 0; i < this.names.length; i++) {
      const at = AGENT + PER_AGENT * i;
      if (u.speaker === this.names[i]) {
        if (!answered) continue;
        y[at + ANSWERED_OWN] = 1;
        y[at + OWN_LAST] = this.solver[i] ? answer : 0;
        continue;
      }
      if (u.facts.length > 0) y[at + PARTNER_SHARED] = 1;
      if (known) y[at + PARTNER] = speaker;
    }
    return y;
  }

  /** Throws unless two merged histories leave every agent in the same state, as far as it is read. */
  private checkMerge(a: Utterance[], b: Utterance[]): void {
    const ka = this.readings(a);
    const kb = this.readings(b);
    if (ka !== kb) throw new Error(`expectedMetric: merged histories read differently:\n${ka}\n${kb}`);
  }

  /** Every agent's DialogueState after `utterances` as a string, plus what is read of the history itself (the quoted facts). */
  private readings(utterances: Utterance[]): string {
    const { scenario, systemPrompts } = this.setup;
    let key = '';
    const quoted = new Set<number>();
    scenario.agents.forEach((a, i) => {
      const st = dialogueState(this.world, agentMessages(systemPrompts[i] as string, utterances), a.name);
      key += `${stateReading(st)}\n`;
      for (const u of st.utterances) for (const f of u.facts) quoted.add(f);
    });
    return key + [...quoted].sort((x, y) => x - y).join(',');
  }
}

interface TemplateBytes {
  literal: number[];
  partners: number[];
}

/** Per family and move: each phrasing's literal bytes and partner slots, or null when phrasings differ in other slots. */
const TEMPLATE_BYTES = new Map<Family, Array<TemplateBytes | null | undefined>>();

function templateBytes(family: Family, move: number): TemplateBytes | null {
  let row = TEMPLATE_BYTES.get(family);
  if (!row) TEMPLATE_BYTES.set(family, (row = []));
  const hit = row[move];
  if (hit !== undefined) return hit;
  const ts = phrasings(family, move);
  const slots = (i: number) =>
    (ts[i]?.parts ?? [])
      .flatMap((p) => (typeof p === 'string' || p.slot === 'partner' ? [] : [p.slot]))
      .sort()
      .join(',');
  // Any other slot renders the same text in every phrasing, so lengths differ by the literals and the partner's name.
  const entry =
    ts.length > 0 && ts.every((_, i) => slots(i) === slots(0))
      ? {
          literal: ts.map((t) => t.parts.reduce((n, p) => n + (typeof p === 'string' ? Buffer.byteLength(p) : 0), 0)),
          partners: ts.map((t) => t.parts.filter((p) => typeof p !== 'string' && p.slot === 'partner').length),
        }
      : null;
  row[move] = entry;
  return entry;
}

/** Fields of DialogueState that are the same at every state of one agent, or the history itself. */
const CONSTANT_FIELDS = new Set(['world', 'view', 'oracle', 'held', 'needed', 'kind', 'speaker', 'utterances']);

/** Fields read more coarsely than they are stored at T > 0 (exact counts feed only the greedy content key, sample.ts). */
const COARSE: Record<string, (v: unknown, s: DialogueState) => unknown> = {
  // Features and legality ask only whether the agent has answered.
  ownAnswers: (v) => Math.min(v as number, 1),
  challenges: (v) => Math.min(v as number, CHALLENGES_READ),
  ownLastAnswer: (v, s) => (s.kind === 'solver' ? v : ''),
  // The answer itself is lastAnswer.
  last: (v) => (v === null ? null : [(v as UtteranceInfo).moves & READ_MOVES, (v as UtteranceInfo).answer !== '']),
};

function encode(v: unknown): string {
  if (v instanceof Set) return encode([...v].sort());
  if (v instanceof Map) return encode([...v].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)));
  if (ArrayBuffer.isView(v)) return encode(Array.from(v as unknown as ArrayLike<number>));
  return JSON.stringify(v) ?? String(v);
}

/**
 * An agent's state as a string: every field but the constant ones, the coarse ones at their
 * coarseness. The fields are listed generically so that one added to DialogueState is checked too.
 */
function stateReading(s: DialogueState): string {
  let key = '';
  for (const [k, v] of Object.entries(s)) {
    if (CONSTANT_FIELDS.has(k)) continue;
    const coarse = COARSE[k];
    key += `${k}=${encode(coarse ? coarse(v, s) : v)};`;
  }
  return key;
}
