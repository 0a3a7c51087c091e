/**
 * The dialogue as one agent's training example sees it.
 *
 * dits (like Optima, §1.1) stores a dialogue as the agent's system prompt followed by every
 * utterance as an `assistant` turn. Two role styles turn that into trainer input:
 *
 * - `optima`: exactly that, every utterance `assistant`. Only a trainer that masks the loss by other
 *   means can use it (Optima's own collator finds the agent's turns by their `Name:` prefix).
 * - `alternating`: the trained agent's turns are `assistant`, everyone else's are `user`, so a
 *   trainer that puts the loss on assistant turns trains exactly the agent, and chat templates that
 *   demand user/assistant alternation accept it. Consecutive partner turns merge into one user
 *   turn (joined by MERGE_SEPARATOR). An agent turn with no partner turn before it (the agent
 *   speaks first, or twice in a row) gets an opener user turn before it: its text is the `opener`
 *   (empty by default), so no words are invented. A DPO prompt whose last turn is not a user turn
 *   ends with an opener for the same reason. Serve a model trained this way with the same view.
 */
import type { PreferencePair, SftExample } from '../base/examples.ts';
import type { ChatMessage } from '../base/model-backend.ts';

export type RoleStyle = 'optima' | 'alternating';

/** Text of the user turn placed before an agent turn that has no partner turn before it. */
export type Opener = string | ((taskId: string) => string);

/** Joins consecutive partner utterances merged into one user turn. */
export const MERGE_SEPARATOR = '\n\n';

/** An example that cannot be exported as dits defines examples (examples.ts). */
export class ExportError extends Error {
  override readonly name = 'ExportError';
}

/** Messages plus, for each, whether the loss covers it. */
export interface TrainedView {
  messages: ChatMessage[];
  trained: boolean[];
}

/** Every dits utterance starts with its speaker's `Name:` (engine/dialogue/dialogue.ts withNamePrefix). */
export function namePrefix(agent: string): string {
  return `${agent}:`;
}

function copy(m: ChatMessage): ChatMessage {
  return { role: m.role, content: m.content };
}

function checkDialogue(messages: readonly ChatMessage[], what: string): void {
  if (messages[0]?.role !== 'system') throw new ExportError(`${what}: the first message must be the agent's system prompt`);
  const bad = messages.findIndex((m, i) => i > 0 && m.role !== 'assistant');
  if (bad > 0) throw new ExportError(`${what}: message ${bad} has role '${messages[bad]?.role}'; utterances must be assistant turns (§1.1)`);
}

function checkSftExample(ex: SftExample): void {
  const what = `SFT example (task ${ex.taskId}, agent ${ex.agent})`;
  checkDialogue(ex.messages, what);
  if (ex.trained.length !== ex.messages.length) {
    throw new ExportError(`${what}: ${ex.trained.length} trained flags for ${ex.messages.length} messages`);
  }
  if (ex.trained[0]) throw new ExportError(`${what}: the system prompt cannot be trained`);
  if (!ex.trained.includes(true)) throw new ExportError(`${what}: no turn of ${ex.agent} is trained`);
}

function checkPair(p: PreferencePair): void {
  checkDialogue(p.prompt, `pair (task ${p.taskId}, node [${p.nodePath.join(',')}])`);
}

function openerFor(opener: Opener, taskId: string): string {
  return typeof opener === 'string' ? opener : opener(taskId);
}

interface Turn {
  content: string;
  own: boolean;
}

function alternate(system: ChatMessage, turns: readonly Turn[], opener: string): ChatMessage[] {
  const out: ChatMessage[] = [copy(system)];
  for (const t of turns) {
    const last = out[out.length - 1] as ChatMessage;
    if (t.own) {
      if (last.role !== 'user') out.push({ role: 'user', content: opener });
      out.push({ role: 'assistant', content: t.content });
    } else if (last.role === 'user') {
      out[out.length - 1] = { role: 'user', content: `${last.content}${MERGE_SEPARATOR}${t.content}` };
    } else {
      out.push({ role: 'user', content: t.content });
    }
  }
  return out;
}

/** Drops the turns after the last trained one: they carry no loss, and trainers want a trained last turn. */
export function trimUntrainedTail(view: TrainedView): TrainedView {
  const end = view.trained.lastIndexOf(true) + 1;
  return { messages: view.messages.slice(0, end), trained: view.trained.slice(0, end) };
}

/**
 * One SFT example in a role style. `optima` is the example as given; `alternating` ends with the
 * agent's last turn, and its trained turns are exactly its assistant turns.
 */
export function sftView(ex: SftExample, style: RoleStyle, opener: Opener): TrainedView {
  checkSftExample(ex);
  if (style === 'optima') return { messages: ex.messages.map(copy), trained: ex.trained.slice() };
  const kept = trimUntrainedTail({ messages: ex.messages, trained: ex.trained });
  const turns = kept.messages.slice(1).map((m, i) => ({ content: m.content, own: kept.trained[i + 1] === true }));
  const messages = alternate(ex.messages[0] as ChatMessage, turns, openerFor(opener, ex.taskId));
  return { messages, trained: messages.map((m) => m.role === 'assistant') };
}

/**
 * The messages before the chosen/rejected utterance. `optima`: the pair's prompt as given.
 * `alternating`: the speaker's earlier turns (found by their `Name:` prefix) stay assistant, the
 * others become user, and the prompt ends with a user turn.
 */
export function dpoPrompt(p: PreferencePair, style: RoleStyle, opener: Opener): ChatMessage[] {
  checkPair(p);
  if (style === 'optima') return p.prompt.map(copy);
  const prefix = namePrefix(p.speaker);
  const turns = p.prompt.slice(1).map((m) => ({ content: m.content, own: m.content.startsWith(prefix) }));
  const messages = alternate(p.prompt[0] as ChatMessage, turns, openerFor(opener, p.taskId));
  if ((messages[messages.length - 1] as ChatMessage).role !== 'user') messages.push({ role: 'user', content: openerFor(opener, p.taskId) });
  return messages;
}
