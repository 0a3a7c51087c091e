/**
 * What a server can do, found out once at connect time by asking it (never through the cache):
 * whether it honours `n` and `seed`, answers `/tokenize`, echoes prompt log-probabilities, and
 * loads LoRA adapters at run time. Also the health check and the identity queries (/health,
 * /v1/models, /version).
 */
import type { Endpoint } from './endpoints.ts';
import { AttemptError, CapabilityError, RequestFailedError } from './errors.ts';
import { serverMessage, type HttpResponse } from './http.ts';
import type { Transport } from './transport.ts';

export interface Capabilities {
  /** Chat completions return n choices for `n` > 1 (else the client sends n requests). */
  n: boolean;
  /** The same seeded request twice gives the same text. */
  seed: boolean;
  /** POST /tokenize answers. */
  tokenize: boolean;
  /** /v1/completions with `echo` gives log-probabilities of the prompt tokens. */
  echoLogprobs: boolean;
  /** POST /v1/load_lora_adapter and /v1/unload_lora_adapter exist. */
  runtimeLora: boolean;
}

const ok = (r: HttpResponse): boolean => r.status >= 200 && r.status < 300;

function json(r: HttpResponse): unknown {
  try {
    return JSON.parse(r.text);
  } catch {
    return undefined;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** How long a health check may take, whatever the request timeout. */
const HEALTH_TIMEOUT_MS = 5_000;

/**
 * Null when `ep` is ready: GET /health answers 200 (or does not exist) and GET /v1/models
 * answers 200. Otherwise what is wrong, e.g. `/health: 503 Loading model`.
 */
export async function checkHealth(t: Transport, ep: Endpoint): Promise<string | null> {
  const o = { retries: 0, timeoutMs: Math.min(t.opts.requestTimeoutMs, HEALTH_TIMEOUT_MS), retryStatuses: () => false };
  try {
    const h = await t.direct(ep, 'GET', '/health', undefined, o);
    // Ollama has no /health: the model list alone says it is up.
    if (!ok(h) && h.status !== 404 && h.status !== 405) return `/health: ${h.status} ${serverMessage(h.text)}`;
    const m = await t.direct(ep, 'GET', '/v1/models', undefined, o);
    if (!ok(m)) return `/v1/models: ${m.status} ${serverMessage(m.text)}`;
    return null;
  } catch (err) {
    return describe(err);
  }
}

interface ModelEntry {
  id: string;
  parent?: string | null;
}

/** The entries of GET /v1/models. */
export async function listModels(t: Transport, ep: Endpoint): Promise<ModelEntry[]> {
  const r = await t.direct(ep, 'GET', '/v1/models');
  if (!ok(r)) throw new RequestFailedError({ method: 'GET', path: '/v1/models', endpoint: ep.url, status: r.status, cause: serverMessage(r.text), attempts: 1 });
  const data = (json(r) as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) {
    throw new RequestFailedError({ method: 'GET', path: '/v1/models', endpoint: ep.url, status: r.status, cause: 'invalid response: data is missing', attempts: 1 });
  }
  return data.filter((m): m is ModelEntry => typeof (m as ModelEntry)?.id === 'string');
}

/** The base model: the first entry whose parent is null (or absent). */
export async function baseModel(t: Transport, ep: Endpoint): Promise<string> {
  const models = await listModels(t, ep);
  const base = models.find((m) => m.parent === null || m.parent === undefined) ?? models[0];
  if (base === undefined) throw new Error(`${ep.url}: GET /v1/models lists no model; pass the model id`);
  return base.id;
}

/** GET /version's `version`, or null when the server has none. */
export async function serverVersion(t: Transport, ep: Endpoint): Promise<string | null> {
  try {
    const r = await t.direct(ep, 'GET', '/version', undefined, { retries: 0 });
    const v = ok(r) ? (json(r) as { version?: unknown } | undefined)?.version : undefined;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

export interface ProbeOptions {
  model: string;
  speakerPrefill: boolean;
  extraBody: Record<string, unknown> | undefined;
  log: (line: string) => void;
}

/** Transient trouble is retried during probes; any other status is the answer. */
const transient = (s: number): boolean => s === 502 || s === 503 || s === 504;

const LORA_PROBE_NAME = 'dits-capability-probe';

/** Runs every capability probe against `ep`. Throws when the server cannot sample at all. */
export async function probeCapabilities(t: Transport, ep: Endpoint, o: ProbeOptions): Promise<Capabilities> {
  const post = (path: string, body: unknown): Promise<HttpResponse> => t.direct(ep, 'POST', path, body, { retryStatuses: transient });

  // n and seed: the same seeded request twice.
  const messages: Array<{ role: string; content: string }> = [{ role: 'system', content: 'Reply with one short sentence.' }];
  const chat = (n: number): Record<string, unknown> => ({
    model: o.model,
    messages: o.speakerPrefill ? [...messages, { role: 'assistant', content: 'A:' }] : messages,
    ...(o.speakerPrefill ? { continue_final_message: true, add_generation_prompt: false } : {}),
    n,
    temperature: 1,
    max_tokens: 8,
    seed: 1,
    ...o.extraBody,
  });
  let body = chat(2);
  let first = await post('/v1/chat/completions', body);
  let n = ok(first) && choiceContents(first)?.length === 2;
  if (!ok(first) && first.status >= 400 && first.status < 500) {
    // Perhaps n > 1 alone is refused; a request of one tells.
    body = chat(1);
    first = await post('/v1/chat/completions', body);
    n = false;
  }
  const firstContents = choiceContents(first);
  if (!ok(first) || firstContents === undefined) {
    const hint = o.speakerPrefill ? ' (if the server does not support continue_final_message, use --no-speaker-prefill)' : '';
    throw new CapabilityError(`${ep.url}: a chat completion for model '${o.model}' failed: ${first.status} ${serverMessage(first.text)}${hint}`);
  }
  const second = await post('/v1/chat/completions', body);
  const seed = ok(second) && JSON.stringify(choiceContents(second)) === JSON.stringify(firstContents);

  // tokenize
  let ids: number[] | undefined;
  let tokenize = false;
  try {
    const r = await post('/tokenize', { model: o.model, prompt: 'Hello, world. The answer is', add_special_tokens: true });
    const v = ok(r) ? (json(r) as { count?: unknown; tokens?: unknown } | undefined) : undefined;
    tokenize = v !== undefined && (typeof v.count === 'number' || Array.isArray(v.tokens));
    if (tokenize && Array.isArray(v?.tokens) && v.tokens.every((x) => Number.isInteger(x))) ids = v.tokens as number[];
  } catch (err) {
    if (!(err instanceof AttemptError)) throw err;
  }

  // echo of prompt log-probabilities, on token ids
  let echoLogprobs = false;
  const prompt = ids !== undefined && ids.length >= 2 ? ids : [1000, 2000, 3000, 4000];
  try {
    const r = await post('/v1/completions', { model: o.model, prompt, max_tokens: 1, echo: true, logprobs: 1, temperature: 0, ...o.extraBody });
    const lp = ok(r) ? (json(r) as { choices?: Array<{ logprobs?: { token_logprobs?: unknown } }> } | undefined)?.choices?.[0]?.logprobs?.token_logprobs : undefined;
    echoLogprobs = Array.isArray(lp) && lp.length >= prompt.length && lp.slice(1, prompt.length).every((x) => typeof x === 'number');
  } catch (err) {
    if (!(err instanceof AttemptError)) throw err;
  }

  // runtime LoRA: does the unload route exist?
  let runtimeLora = false;
  try {
    const r = await post('/v1/unload_lora_adapter', { lora_name: LORA_PROBE_NAME });
    if (r.status === 200 || r.status === 400) runtimeLora = true;
    else if (r.status === 404) runtimeLora = r.text.includes(LORA_PROBE_NAME) || /lora|adapter/i.test(r.text);
  } catch (err) {
    if (!(err instanceof AttemptError)) throw err;
  }

  return { n, seed, tokenize, echoLogprobs, runtimeLora };
}

function choiceContents(r: HttpResponse): unknown[] | undefined {
  if (!ok(r)) return undefined;
  const choices = (json(r) as { choices?: unknown } | undefined)?.choices;
  if (!Array.isArray(choices) || choices.length === 0) return undefined;
  return choices.map((c) => (c as { message?: { content?: unknown } })?.message?.content);
}
