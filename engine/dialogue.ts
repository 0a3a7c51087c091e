/**
 * One multi-agent dialogue (§1.1): agents speak in turn, each sees its own system prompt and
 * every utterance so far; it ends when a non-empty parsed answer repeats the previous parsed
 * answer, when a reply overflows its token limit, or at the utterance cap.
 */
import { extractAnswer } from '../scenarios/answers.ts';
import { renderSystemPrompts, speakingOrder } from '../scenarios/prompt.ts';
import { splitContext } from '../scenarios/split.ts';
import type { Scenario } from '../scenarios/schema.ts';
import type { Task } from '../scenarios/task.ts';
import type { ChatMessage, ModelBackend } from './model.ts';
import { keyedSeed, Rng, type KeyPart } from './rng.ts';

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

export type Termination = 'agreement' | 'cap' | 'overflow';

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

export async function runDialogue(setup: DialogueSetup, backend: ModelBackend, opts: DialogueOptions): Promise<Dialogue> {
  const { scenario } = setup;
  const order = speakingOrder(scenario);
  const { maxUtterances, maxTokens } = scenario.turns;
  const utterances: Utterance[] = [...(opts.history ?? [])];
  const finish = (termination: Termination, finalAnswer: string): Dialogue => ({
    utterances,
    termination,
    finalAnswer,
    tokenCount: utterances.reduce((s, u) => s + u.tokens, 0),
  });

  while (utterances.length < maxUtterances) {
    const turn = utterances.length;
    const agentIndex = order[turn % order.length] as number;
    const speaker = (scenario.agents[agentIndex] as { name: string }).name;
    const [completion] = await backend.sample({
      messages: agentMessages(setup.systemPrompts[agentIndex] as string, utterances),
      speaker,
      n: 1,
      temperature: opts.temperature,
      maxTokens,
      seed: keyedSeed(...opts.seedKey, turn),
      ...(opts.adapter !== undefined ? { adapter: opts.adapter } : {}),
    });
    if (!completion) throw new Error(`backend ${backend.name} returned no completion for task ${setup.task.id}, turn ${turn}`);
    const text = withNamePrefix(speaker, completion.text);
    const tokens = text === completion.text ? completion.tokens : backend.countTokens(text);
    if (completion.finishReason === 'length' || tokens >= maxTokens) {
      // The reference drops the oversized reply and puts the sentinel in its place (§2.1).
      utterances.push({ speaker, text: LARGE, answer: '', tokens: backend.countTokens(LARGE) });
      return finish('overflow', LARGE);
    }
    const answer = extractAnswer(text, scenario.answer.format);
    const agreed = isAgreement(utterances, answer);
    utterances.push({ speaker, text, answer, tokens });
    if (agreed) return finish('agreement', answer);
  }
  return finish('cap', opts.mode === 'rollout' ? ERROR : lastAnswer(utterances));
}
