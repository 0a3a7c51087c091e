/**
 * The training examples dits produces, before they are written in any trainer's format:
 * preference pairs from search trees (§2.3) and SFT conversations (§2.2).
 */
import type { ChatMessage } from './model-backend.ts';

/** A DPO preference pair taken at a tree node with two or more children (§2.3). */
export interface PreferencePair {
  taskId: string;
  /** Child positions from the root to the node whose children were compared ([] = the root). */
  nodePath: number[];
  /** The agent who speaks the chosen and rejected utterances. */
  speaker: string;
  /** That agent's system prompt (with its context), then every utterance root -> node as an assistant turn. */
  prompt: ChatMessage[];
  /** The best child's utterance (`Name: ...`). */
  chosen: string;
  /** The worst child's utterance. */
  rejected: string;
  /** Q of the chosen child (Optima's `chosen_value`). */
  chosenValue: number;
  /** Q of the rejected child. */
  rejectedValue: number;
  /** chosenValue - rejectedValue (Optima's `distance`). */
  gap: number;
}

/**
 * One SFT example: a whole dialogue seen by one agent. The messages are that agent's system
 * prompt and every utterance as an assistant turn (§1.1); `trained[i]` says whether message i
 * is the agent's own turn, the only turns the loss covers (§2.2 step 4).
 */
export interface SftExample {
  taskId: string;
  agent: string;
  messages: ChatMessage[];
  trained: boolean[];
  /** The dialogue's total reward, for provenance. */
  reward: number;
}
