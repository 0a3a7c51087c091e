/**
 * serve-sim's routes as functions from a parsed JSON body to a reply, over the simulated model:
 * sampling, token ids, scoring, adapters and training (docs/http-protocol.md). No HTTP here
 * (server.ts), and no faults (faults.ts).
 */
import type { ChatMessage, SampleRequest } from '../engine/base/model-backend.ts';
import { parseTrainingJob } from '../engine/hook/training-job.ts';
import { DITS_VERSION } from '../engine/base/version.ts';
import { InputError } from '../scenarios/errors.ts';
import { SimBackend } from '../engine/sim/backend.ts';
import { defaultParams } from '../engine/sim/params.ts';
import { countTokens } from '../engine/sim/tokcount.ts';
import { readSimAdapter, runSimTrainingJob } from '../engine/sim/train-job.ts';
import type { SimWorld } from '../engine/sim/world.ts';
import {
  applyChatTemplate,
  decodeIds,
  encodeIds,
  EOT,
  EOT_ID,
  MAX_MODEL_LEN,
  splitScoringPrompt,
  templatedTokenCount,
  tokenBytes,
  tokenText,
  VOCAB_SIZE,
} from './chat-template.ts';

/** A route's answer: a JSON value or a text body. */
export interface Reply {
  status: number;
  json?: unknown;
  text?: string;
}

/** An error answer: `{"error": {"message", "type", "code"}}` with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const ERROR_TYPES: Record<number, string> = {
  400: 'BadRequestError',
  404: 'NotFoundError',
  405: 'MethodNotAllowedError',
  413: 'BadRequestError',
  429: 'RateLimitError',
  500: 'InternalServerError',
  503: 'unavailable_error',
};

export function errorBody(status: number, message: string): { error: { message: string; type: string; code: number } } {
  return { error: { message, type: ERROR_TYPES[status] ?? 'Error', code: status } };
}

/** A default of the chat request when the field is absent or null. */
const DEFAULT_MAX_TOKENS = 4096;
/** The speaker prefill: an unfinished assistant message holding only `Name:`. */
const PREFILL = /^([A-Za-z][\w-]*):\s*$/;

type Body = Record<string, unknown>;

const bad = (message: string) => new HttpError(400, message);

function asBody(raw: unknown): Body {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('request body: expected a JSON object');
  return raw as Body;
}

/** The field, or undefined when absent or null (OpenAI clients send nulls for unset options). */
function opt(body: Body, name: string): unknown {
  const v = body[name];
  return v === null ? undefined : v;
}

function optBool(body: Body, name: string, dflt: boolean): boolean {
  const v = opt(body, name);
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw bad(`${name}: expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

function optInt(body: Body, name: string, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = opt(body, name);
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(`${name}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v;
}

function optNumber(body: Body, name: string, dflt: number, min: number, max: number): number {
  const v = opt(body, name);
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw bad(`${name}: expected a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v;
}

function reqString(body: Body, name: string): string {
  const v = opt(body, name);
  if (typeof v !== 'string' || v === '') throw bad(`${name}: expected a non-empty string, got ${JSON.stringify(v ?? null)}`);
  return v;
}

function parseMessages(raw: unknown): ChatMessage[] {
  if (!Array.isArray(raw)) throw bad('messages: expected an array of {role, content}');
  return raw.map((m, i) => {
    if (typeof m !== 'object' || m === null) throw bad(`messages[${i}]: expected {role, content}`);
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (role !== 'system' && role !== 'user' && role !== 'assistant') throw bad(`messages[${i}].role: expected system, user or assistant, got ${JSON.stringify(role ?? null)}`);
    if (typeof content === 'string') return { role, content };
    // The parts form: [{type: 'text', text}, ...].
    if (Array.isArray(content) && content.every((p) => typeof p === 'object' && p !== null && (p as { type?: unknown }).type === 'text' && typeof (p as { text?: unknown }).text === 'string')) {
      return { role, content: content.map((p) => (p as { text: string }).text).join('') };
    }
    throw bad(`messages[${i}].content: expected a string`);
  });
}

function parseTokenIds(raw: unknown, name: string): number[] {
  if (!Array.isArray(raw)) throw bad(`${name}: expected an array of token ids`);
  for (const t of raw) {
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t >= VOCAB_SIZE) throw bad(`${name}: ${JSON.stringify(t)} is not a token id (0 to ${VOCAB_SIZE - 1})`);
  }
  return raw as number[];
}

export interface AdapterInfo {
  name: string;
  path: string;
}

/** The simulated model behind serve-sim's routes. */
export class SimRoutes {
  readonly backend: SimBackend;
  /** Loaded adapters by name. The backend keeps the parameters; this map says what is loaded. */
  private readonly adapters = new Map<string, AdapterInfo>();
  private chatCount = 0;
  private completionCount = 0;

  constructor(
    readonly world: SimWorld,
    readonly modelName: string,
  ) {
    this.backend = new SimBackend(world, defaultParams());
  }

  /** The adapter a `model` field selects: undefined for the base, 404 for an unknown name. */
  private adapterFor(body: Body): string | undefined {
    const model = opt(body, 'model');
    if (model === undefined || model === this.modelName) return undefined;
    if (typeof model !== 'string') throw bad(`model: expected a string, got ${JSON.stringify(model)}`);
    if (!this.adapters.has(model)) throw new HttpError(404, `The model \`${model}\` does not exist.`);
    return model;
  }

  chat(raw: unknown): Reply {
    const body = asBody(raw);
    const adapter = this.adapterFor(body);
    const all = parseMessages(body['messages']);
    if (all.length === 0) throw bad('messages: expected at least one message');
    const continueFinal = optBool(body, 'continue_final_message', false);
    const addGeneration = optBool(body, 'add_generation_prompt', true);
    if (continueFinal && opt(body, 'add_generation_prompt') === true) throw bad('add_generation_prompt and continue_final_message cannot both be true');
    let speaker: string;
    let messages: ChatMessage[];
    let prefill: string | null = null;
    if (continueFinal) {
      const last = all[all.length - 1] as ChatMessage;
      const m = last.role === 'assistant' ? PREFILL.exec(last.content) : null;
      if (!m) throw bad('continue_final_message: the last message must be an assistant message holding only the speaker prefill `Name:`');
      speaker = m[1] as string;
      prefill = last.content;
      messages = all.slice(0, -1);
    } else {
      speaker = this.speakerOf(all);
      messages = all;
    }
    const req: SampleRequest = {
      messages,
      speaker,
      n: optInt(body, 'n', 1, 1, 10_000),
      temperature: optNumber(body, 'temperature', 1, 0, 100),
      maxTokens: optInt(body, 'max_tokens', optInt(body, 'max_completion_tokens', DEFAULT_MAX_TOKENS, 1), 1),
      seed: optInt(body, 'seed', 0, Number.MIN_SAFE_INTEGER) >>> 0,
      ...(adapter !== undefined ? { adapter } : {}),
    };
    const completions = this.backend.sampleSync(req);
    let completionTokens = 0;
    const choices = completions.map((c, index) => {
      // The client puts the prefill back in front: prefill + content is the simulated text.
      const content = prefill === null ? c.text : c.text.startsWith(prefill) ? c.text.slice(prefill.length) : c.text;
      completionTokens += countTokens(content);
      return { index, message: { role: 'assistant', content }, logprobs: null, finish_reason: c.finishReason };
    });
    const promptTokens = templatedTokenCount(all, continueFinal ? { continueFinalMessage: true } : { addGenerationPrompt: addGeneration });
    return {
      status: 200,
      json: {
        id: `chatcmpl-${this.chatCount++}`,
        object: 'chat.completion',
        created: 0,
        model: adapter ?? this.modelName,
        choices,
        usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      },
    };
  }

  /** Without a prefill: the scenario agent whose name comes first in the system prompt, else the first agent. */
  private speakerOf(messages: readonly ChatMessage[]): string {
    const system = messages[0]?.role === 'system' ? messages[0].content : null;
    if (system === null) throw bad('messages: without the speaker prefill (continue_final_message) the first message must be the system prompt naming the speaking agent');
    let best: string | null = null;
    let bestAt = Infinity;
    for (const a of this.world.agents) {
      const at = system.indexOf(a.name);
      if (at >= 0 && at < bestAt) {
        best = a.name;
        bestAt = at;
      }
    }
    // A prompt that names no agent (a client's capability probe) is answered as the first agent,
    // as a real model would answer it as somebody.
    return best ?? (this.world.agents[0] as { name: string }).name;
  }

  tokenize(raw: unknown): Reply {
    const body = asBody(raw);
    this.adapterFor(body);
    let tokens: number[];
    if (opt(body, 'messages') !== undefined) {
      const messages = parseMessages(body['messages']);
      const continueFinal = optBool(body, 'continue_final_message', false);
      if (continueFinal && opt(body, 'add_generation_prompt') === true) throw bad('add_generation_prompt and continue_final_message cannot both be true');
      const addGeneration = optBool(body, 'add_generation_prompt', true);
      // The template holds its own BOS; add_special_tokens would add a second one, as in vLLM.
      tokens = encodeIds(applyChatTemplate(messages, { addGenerationPrompt: addGeneration, continueFinalMessage: continueFinal }), optBool(body, 'add_special_tokens', false));
    } else {
      const prompt = opt(body, 'prompt');
      if (typeof prompt !== 'string') throw bad('prompt: expected a string (or give messages)');
      tokens = encodeIds(prompt, optBool(body, 'add_special_tokens', true));
    }
    return { status: 200, json: { count: tokens.length, max_model_len: MAX_MODEL_LEN, tokens } };
  }

  detokenize(raw: unknown): Reply {
    const body = asBody(raw);
    this.adapterFor(body);
    return { status: 200, json: { prompt: decodeIds(parseTokenIds(body['tokens'], 'tokens')) } };
  }

  /**
   * Scoring only: echo the prompt with its log-probabilities. The whole log-likelihood of the
   * scored text goes on its first token and the others get 0, so any sum over the text's span
   * equals logLikelihoodSync exactly.
   */
  completions(raw: unknown): Reply {
    const body = asBody(raw);
    const adapter = this.adapterFor(body);
    if (opt(body, 'echo') !== true) throw bad('echo: serve-sim serves scoring only: send echo: true and logprobs >= 0 with max_tokens 1');
    const logprobs = opt(body, 'logprobs');
    if (typeof logprobs !== 'number' || !Number.isInteger(logprobs) || logprobs < 0) {
      throw bad('logprobs: serve-sim serves scoring only: send echo: true and logprobs >= 0 with max_tokens 1');
    }
    const prompt = opt(body, 'prompt');
    let ids: number[];
    if (typeof prompt === 'string') ids = encodeIds(prompt, true);
    else if (Array.isArray(prompt) && prompt.length === 1 && Array.isArray(prompt[0])) ids = parseTokenIds(prompt[0], 'prompt[0]');
    else ids = parseTokenIds(prompt, 'prompt');
    if (ids.length === 0) throw bad('prompt: expected at least one token');
    const text = decodeIds(ids);
    const split = splitScoringPrompt(text);
    if (split === null) throw bad('prompt: expected <|begin_of_text|> then either the text to score or a chat-templated prompt ending in an open assistant header');

    // |P|: the tokens that make up the prefix's bytes.
    const prefixBytes = Buffer.byteLength(split.prefix);
    let p = 0;
    for (let bytes = 0; p < ids.length && bytes < prefixBytes; p++) bytes += tokenBytes(ids[p] as number);

    const tokenLogprobs: (number | null)[] = new Array(ids.length + 1).fill(0);
    tokenLogprobs[0] = null;
    if (p < ids.length) tokenLogprobs[p] = this.backend.logLikelihoodSync(split.messages, split.response, adapter).logprob;
    const all = [...ids, EOT_ID];
    const tokens = all.map(tokenText);
    const offsets: number[] = [];
    let offset = 0;
    const top = tokens.map((t, i) => {
      offsets.push(offset);
      offset += t.length;
      return i === 0 ? null : { [t]: tokenLogprobs[i] as number };
    });
    return {
      status: 200,
      json: {
        id: `cmpl-${this.completionCount++}`,
        object: 'text_completion',
        created: 0,
        model: adapter ?? this.modelName,
        choices: [
          {
            index: 0,
            text: text + EOT,
            logprobs: { tokens, token_logprobs: tokenLogprobs, top_logprobs: top, text_offset: offsets },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: ids.length, completion_tokens: 1, total_tokens: ids.length + 1 },
      },
    };
  }

  loadAdapter(raw: unknown): Reply {
    const body = asBody(raw);
    const name = reqString(body, 'lora_name');
    const path = reqString(body, 'lora_path');
    if (name === this.modelName) throw bad(`lora_name: '${name}' is the base model's name`);
    if (this.adapters.has(name)) throw bad(`The lora adapter '${name}' has already been loaded.`);
    let params;
    try {
      params = readSimAdapter(path);
    } catch (e) {
      throw bad(`lora_path: ${(e as Error).message}`);
    }
    this.backend.registerAdapter(name, params);
    this.adapters.set(name, { name, path });
    return { status: 200, text: `Success: LoRA adapter '${name}' added successfully.` };
  }

  unloadAdapter(raw: unknown): Reply {
    const body = asBody(raw);
    const name = reqString(body, 'lora_name');
    if (!this.adapters.delete(name)) throw new HttpError(404, `The lora adapter '${name}' cannot be found.`);
    return { status: 200, text: `Success: LoRA adapter '${name}' removed successfully.` };
  }

  models(): Reply {
    const base = { id: this.modelName, object: 'model', created: 0, owned_by: 'serve-sim', root: this.modelName, parent: null, max_model_len: MAX_MODEL_LEN };
    const adapters = [...this.adapters.values()].map((a) => ({ id: a.name, object: 'model', created: 0, owned_by: 'serve-sim', root: a.path, parent: this.modelName }));
    return { status: 200, json: { object: 'list', data: [base, ...adapters] } };
  }

  version(): Reply {
    return { status: 200, json: { version: `serve-sim ${DITS_VERSION}` } };
  }

  /** Runs a training job on the simulated model and writes its adapter (the trainer hook over HTTP). */
  async train(raw: unknown): Promise<Reply> {
    try {
      const job = parseTrainingJob(raw, 'training job');
      await runSimTrainingJob(this.world, job);
      return { status: 200, json: { output: job.output } };
    } catch (e) {
      // A bad job, or a file it names that cannot be read, is the client's error.
      if (e instanceof InputError || typeof (e as NodeJS.ErrnoException).code === 'string') throw bad((e as Error).message);
      throw e;
    }
  }

  /** The adapters loaded now, by name. */
  loadedAdapters(): AdapterInfo[] {
    return [...this.adapters.values()];
  }
}
