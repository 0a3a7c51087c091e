/**
 * The dialogue state, recovered from the text of a request: which facts this agent holds and
 * which have been quoted, the answers so far, what the last utterance did, and - for a critic -
 * what its noisy check of the current answer says. Nothing here depends on the request seed.
 */
import { extractAnswer } from '../../scenarios/answers.ts';
import type { ChatMessage } from '../base/model-backend.ts';
import { keyedSeed } from '../base/rng.ts';
import { M, type AgentKind } from './moves.ts';
import type { OracleRecord } from './oracle.ts';
import type { PromptView, SimWorld, UtteranceInfo } from './world.ts';


export type VerifierSignal = 'none' | 'ok' | 'flag';

export interface DialogueState {
  world: SimWorld;
  view: PromptView;
  oracle: OracleRecord;
  speaker: string;
  kind: AgentKind;
  /** Who the agent is talking to (the last other speaker, else the next agent in order). */
  partner: string;
  /** Utterances so far. */
  turn: number;
  utterances: UtteranceInfo[];
  /** Held facts nobody has quoted yet, grouped by context piece, in prompt order. */
  unshared: number[][];
  /** Facts held by the agent (prompt order). */
  held: number[];
  /** Needed facts the agent can see (held or quoted), and how many are needed. */
  visibleNeeded: number;
  needed: number;
  last: UtteranceInfo | null;
  /** The most recent non-empty parsed answer and who gave it. */
  lastAnswer: { value: string; speaker: string } | null;
  /** How many answers this agent has given, and its latest one. */
  ownAnswers: number;
  ownLastAnswer: string;
  /** Challenges and hints so far. */
  challenges: number;
  /** Some other agent has quoted a fact. */
  partnerShared: boolean;
  /** A critic's check of the current answer ('none' for other agents or before any answer). */
  verifier: VerifierSignal;
}

const UTTERANCE_MEMO_LIMIT = 200_000;
const SPEAKER = /^([A-Za-z][\w-]*):/;

/** Detection rate of a wrong answer by the critic's check, and its false-alarm rate. */
export const VERIFIER = {
  detect: (difficulty: number) => 0.85 - 0.45 * difficulty,
  falseAlarm: 0.08,
  /** For a question the world does not know. */
  unknownFlag: 0.3,
} as const;

export function analyseUtterance(world: SimWorld, view: PromptView, text: string): UtteranceInfo {
  const memo = world.utteranceMemo;
  const key = view.memoKey + text;
  const hit = memo.get(key);
  if (hit) return hit;
  let moves = 0;
  for (const m of world.recogniser.match(text)) moves |= 1 << m.template.move;
  const facts: number[] = [];
  view.oracle.facts.forEach((f, i) => {
    if (text.includes(f.text)) facts.push(i);
  });
  const info: UtteranceInfo = {
    speaker: SPEAKER.exec(text)?.[1] ?? '',
    answer: extractAnswer(text, world.format),
    moves,
    facts,
  };
  if (memo.size >= UTTERANCE_MEMO_LIMIT) memo.clear();
  memo.set(key, info);
  return info;
}

/** Uniform in [0, 1) from a key: a deterministic function of the conversation, not of a seed. */
export function hashUniform(...parts: Array<string | number>): number {
  return keyedSeed(...parts) / 4294967296;
}

/** The state of `speaker` about to speak after `messages` (system prompt first, then utterances). */
export function dialogueState(world: SimWorld, messages: readonly ChatMessage[], speaker: string): DialogueState {
  const hasSystem = messages[0]?.role === 'system';
  const view = world.view(hasSystem ? (messages[0] as ChatMessage).content : '');
  const oracle = view.oracle;
  const utterances: UtteranceInfo[] = [];
  for (let i = hasSystem ? 1 : 0; i < messages.length; i++) {
    utterances.push(analyseUtterance(world, view, (messages[i] as ChatMessage).content));
  }
  const quoted = new Set<number>();
  let lastAnswer: DialogueState['lastAnswer'] = null;
  let ownAnswers = 0;
  let ownLastAnswer = '';
  let challenges = 0;
  let partnerShared = false;
  let partner = '';
  for (const u of utterances) {
    for (const f of u.facts) quoted.add(f);
    if (u.answer !== '') {
      lastAnswer = { value: u.answer, speaker: u.speaker };
      if (u.speaker === speaker) {
        ownAnswers++;
        ownLastAnswer = u.answer;
      }
    }
    if (u.moves & ((1 << M.CHALLENGE) | (1 << M.HINT))) challenges++;
    if (u.speaker !== speaker) {
      if (u.facts.length > 0) partnerShared = true;
      if (world.agents.some((a) => a.name === u.speaker)) partner = u.speaker;
    }
  }
  if (partner === '') partner = nextAgent(world, speaker);

  const unshared: number[][] = [];
  const byPiece = new Map<number, number[]>();
  for (const f of view.held) {
    if (quoted.has(f)) continue;
    const piece = (oracle.facts[f] as { piece: number }).piece;
    let group = byPiece.get(piece);
    if (!group) {
      group = [];
      byPiece.set(piece, group);
      unshared.push(group);
    }
    group.push(f);
  }
  const heldSet = new Set(view.held);
  let visibleNeeded = 0;
  for (const f of oracle.needed) if (heldSet.has(f) || quoted.has(f)) visibleNeeded++;

  const kind = world.kindOf(speaker);
  const turn = utterances.length;
  let verifier: VerifierSignal = 'none';
  if (kind === 'critic' && lastAnswer) {
    // The check depends on (task, answer, turn) only, so it is the same for every sample of a
    // request and the log-likelihood of a critic's utterance is well defined.
    const u = hashUniform('verify', oracle.key, lastAnswer.value, turn);
    const rate = !oracle.known
      ? VERIFIER.unknownFlag
      : oracle.goldParsed.has(lastAnswer.value)
        ? VERIFIER.falseAlarm
        : VERIFIER.detect(oracle.difficulty);
    verifier = u < rate ? 'flag' : 'ok';
  }
  return {
    world,
    view,
    oracle,
    speaker,
    kind,
    partner,
    turn,
    utterances,
    unshared,
    held: view.held,
    visibleNeeded,
    needed: oracle.needed.length,
    last: utterances.at(-1) ?? null,
    lastAnswer,
    ownAnswers,
    ownLastAnswer,
    challenges,
    partnerShared,
    verifier,
  };
}

function nextAgent(world: SimWorld, speaker: string): string {
  const names = world.agents.map((a) => a.name);
  const i = names.indexOf(speaker);
  if (i >= 0) return names[(i + 1) % names.length] as string;
  return names.find((n) => n !== speaker) ?? speaker;
}
