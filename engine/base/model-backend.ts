/**
 * The model backend interface: what the engine asks of an LLM, whether it is the simulated
 * model in process or an inference server over HTTP.
 */

export type Role = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: Role;
  content: string;
}

export interface SampleRequest {
  /** The agent's own system prompt, then every utterance so far as assistant messages (§1.1). */
  messages: ChatMessage[];
  /** The agent whose turn it is; its utterance starts with `${speaker}:`. */
  speaker: string;
  /** Number of independent continuations. */
  n: number;
  /** 0 means greedy. */
  temperature: number;
  /** Token limit of one continuation. */
  maxTokens: number;
  /** Per-request seed (uint32); continuation i of a request is a pure function of (seed, i, messages). */
  seed: number;
  /** A trained adapter (LoRA, or a saved simulated-model state) to sample from instead of the base. */
  adapter?: string;
}

export interface Completion {
  /** The utterance, name prefix included. */
  text: string;
  /** Its length in the model's tokens. */
  tokens: number;
  /** `length` when the continuation hit maxTokens. */
  finishReason: 'stop' | 'length';
}

export interface LogLikelihood {
  /** Sum of the natural-log probabilities of the text's tokens. */
  logprob: number;
  /** How many tokens were scored. */
  tokens: number;
}

export interface ModelBackend {
  /** Short name for manifests and messages, e.g. `sim` or `openai(http://host:8000)`. */
  readonly name: string;
  /** `signal` aborts the request when the caller stops waiting (a cancelled rollout). */
  sample(req: SampleRequest, options?: { signal?: AbortSignal }): Promise<Completion[]>;
  /** Log-likelihood of `text` as the next assistant turn after `messages`. */
  logLikelihood(messages: ChatMessage[], text: string, adapter?: string): Promise<LogLikelihood>;
  countTokens(text: string): number;
}

/**
 * A model request that failed for good (a server error that outlasted every retry): it fails
 * the task that made it, not the run. Backends throw subclasses of it.
 */
export class ModelRequestError extends Error {
  override name = 'ModelRequestError';
}

/** True when `err` or an error in its cause chain is a ModelRequestError. */
export function isModelRequestError(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof ModelRequestError) return true;
  return false;
}
