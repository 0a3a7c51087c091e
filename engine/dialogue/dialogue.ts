/**
 * One multi-agent dialogue (§1.1): agents speak in turn, each sees its own system prompt and
 * every utterance so far; it ends when a non-empty parsed answer repeats the previous parsed
 * answer (or, when the scenario names a decider, when the decider states an answer), when a
 * reply overflows its token limit, or at the utterance cap.
 */
import { extractAnswer } from '../../scenarios/answers.ts';
import { renderSystemPrompts, speakingOrder } from '../../scenarios/prompt.ts';
import { splitContext } from '../../scenarios/split.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';
import type { ChatMessage, Completion, ModelBackend, SampleRequest } from '../base/model-backend.ts';
import { keyedSeed, Rng, type KeyPart } from '../base/rng.ts';

/** Final answer of a dialogue whose last reply overflowed (§1.1); scores 0. */
export const LARGE = 'large';
/** Final answer of a rollout that hit the utterance cap without agreement (§1.1); scores 0. */
export const ERROR = 'error';

export interface Utterance {
  speaker: string;
  /** The text, `Name:` prefix included. */
  text: string;
  /** Parsed answer ('' when the utterance states none). */
  answer: string;
  tokens: number;
}

export type Termination = 'agreement' | 'decision' | 'cap' | 'overflow';

export interface Dialogue {
  utterances: Utterance[];
  termination: Termination;
  finalAnswer: string;
  tokenCount: number;
}

export interface DialogueSetup {
  scenario: Scenario;
  task: Task;
  /** System prompt per agent, in the scenario's agent order. */
  systemPrompts: readonly string[];
}

/** A task made ready to talk about: the context dealt (keyed by run seed and task id) and the prompts rendered. */
export function prepareDialogue(scenario: Scenario, task: Task, seed: number): DialogueSetup & { information: string[][] } {
  const information = splitContext(scenario, task, Rng.keyed(seed, task.id, 'split'));
  return { scenario, task, information, systemPrompts: renderSystemPrompts(scenario, task, information) };
}

export interface DialogueOptions {
  /** Key of this dialogue's randomness; turn t samples with seed keyedSeed(...seedKey, t). */
  seedKey: readonly KeyPart[];
  temperature: number;
  /** `rollout` (tree search) turns a capped dialogue into the `error` sentinel; `generate` keeps its last answer. */
  mode: 'generate' | 'rollout';
  /** Utterances already spoken (a rollout continues from a tree node). */
  history?: readonly Utterance[];
  adapter?: string;
}

/** The messages an agent sends: its own system prompt, then every utterance as an assistant turn. */
export function agentMessages(systemPrompt: string, utterances: readonly Utterance[]): ChatMessage[] {
  return [{ role: 'system', content: systemPrompt }, ...utterances.map((u) => ({ role: 'assistant' as const, content: u.text }))];
}

/** §1.1: "Name:" starts every utterance; the engine adds it when a model leaves it out. */
export function withNamePrefix(speaker: string, text: string): string {
  return text.startsWith(`${speaker}:`) ? text : `${speaker}: ${text.trimStart()}`;
}

/** True when this answer ends the dialogue: non-empty and equal to the most recent earlier parsed answer. */
export function isAgreement(previous: readonly Utterance[], answer: string): boolean {
  if (answer === '') return false;
  for (let i = previous.length - 1; i >= 0; i--) {
    const a = (previous[i] as Utterance).answer;
    if (a !== '') return a === answer;
  }
  return false;
}

function lastAnswer(utterances: readonly Utterance[]): string {
  for (let i = utterances.length - 1; i >= 0; i--) if ((utterances[i] as Utterance).answer !== '') return (utterances[i] as Utterance).answer;
  return '';
}

/** The request of the next turn: who speaks and what they are sent. */
export interface Turn {
  agentIndex: number;
  request: SampleRequest;
}

/** The next turn after `utterances`, or null when the cap is reached. */
export function nextTurn(setup: DialogueSetup, utterances: readonly Utterance[], opts: DialogueOptions): Turn | null {
  const { scenario } = setup;
  const turn = utterances.length;
  if (turn >= scenario.turns.maxUtterances) return null;
  const order = speakingOrder(scenario);
  const agentIndex = order[turn % order.length] as number;
  return {
    agentIndex,
    request: {
      messages: agentMessages(setup.systemPrompts[agentIndex] as string, utterances),
      speaker: (scenario.agents[agentIndex] as { name: string }).name,
      n: 1,
      temperature: opts.temperature,
      maxTokens: scenario.turns.maxTokens,
      seed: keyedSeed(...opts.seedKey, turn),
      ...(opts.adapter !== undefined ? { adapter: opts.adapter } : {}),
    },
  };
}

/** Where a dialogue stands after a reply: still going, or finished. */
export type Step = { utterances: Utterance[]; done: null } | { utterances: Utterance[]; done: Dialogue };

function finished(utterances: Utterance[], termination: Termination, finalAnswer: string): Step {
  return { utterances, done: { utterances, termination, finalAnswer, tokenCount: utterances.reduce((s, u) => s + u.tokens, 0) } };
}

/**
 * Applies the speaker's reply (§1.1): name prefix, overflow into the `large` sentinel,
 * answer parsing, agreement, and at the cap the final answer of the mode.
 */
export function applyReply(
  setup: DialogueSetup,
  utterances: readonly Utterance[],
  speaker: string,
  completion: Completion,
  countTokens: (text: string) => number,
  mode: DialogueOptions['mode'],
): Step {
  const { scenario } = setup;
  const text = withNamePrefix(speaker, completion.text);
  const tokens = text === completion.text ? completion.tokens : countTokens(text);
  if (completion.finishReason === 'length' || tokens >= scenario.turns.maxTokens) {
    // The reference drops the oversized reply and puts the sentinel in its place (§2.1).
    return finished([...utterances, { speaker, text: LARGE, answer: '', tokens: countTokens(LARGE) }], 'overflow', LARGE);
  }
  const answer = extractAnswer(text, scenario.answer.format);
  const next = [...utterances, { speaker, text, answer, tokens }];
  const decider = scenario.turns.decider;
  if (decider === undefined ? isAgreement(utterances, answer) : speaker === decider && answer !== '') {
    return finished(next, decider === undefined ? 'agreement' : 'decision', answer);
  }
  if (next.length >= scenario.turns.maxUtterances) return finished(next, 'cap', mode === 'rollout' ? ERROR : lastAnswer(next));
  return { utterances: next, done: null };
}

/** A dialogue that reached the utterance cap without agreement (§1.1). */
export function cappedDialogue(utterances: Utterance[], mode: DialogueOptions['mode']): Dialogue {
  return finished(utterances, 'cap', mode === 'rollout' ? ERROR : lastAnswer(utterances)).done as Dialogue;
}

/** The whole dialogue on one backend; the dialogue actor takes the same steps (actors/dialogue.ts). */
export async function runDialogue(setup: DialogueSetup, backend: ModelBackend, opts: DialogueOptions): Promise<Dialogue> {
  let utterances: Utterance[] = [...(opts.history ?? [])];
  for (;;) {
    const turn = nextTurn(setup, utterances, opts);
    if (turn === null) return cappedDialogue(utterances, opts.mode);
    const [completion] = await backend.sample(turn.request);
    if (!completion) throw new Error(`backend ${backend.name} returned no completion for task ${setup.task.id}, turn ${utterances.length}`);
    const step = applyReply(setup, utterances, turn.request.speaker, completion, (t) => backend.countTokens(t), opts.mode);
    if (step.done) return step.done;
    utterances = step.utterances;
  }
}
