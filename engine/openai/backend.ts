/**
 * The `openai` backend: the engine's ModelBackend over the OpenAI HTTP protocol of vLLM, SGLang,
 * llama.cpp, Ollama, TGI and `dits serve-sim` (docs/http-protocol.md). Sampling sends the
 * speaker's `Name:` as a prefill to continue; token counts come from the server's /tokenize (or
 * the bundled Llama-3 tokenizer); the log-likelihood of a text is read from echoed prompt
 * log-probabilities. Transport concerns (routing, retries, cache) live in transport.ts.
 */
import { withNamePrefix } from '../dialogue/dialogue.ts';
import type { ChatMessage, Completion, LogLikelihood, ModelBackend, SampleRequest } from '../base/model-backend.ts';
import { llama3Count } from '../../scenarios/tokens.ts';
import { ResponseCache } from './cache.ts';
import { baseModel, checkHealth, listModels, probeCapabilities, serverVersion, type Capabilities } from './capabilities.ts';
import { Endpoint, EndpointPool, type EndpointUsage } from './endpoints.ts';
import { AttemptError, CapabilityError, EndpointsDownError, InvalidResponseError } from './errors.ts';
import { serverMessage } from './http.ts';
import { DEFAULT_BACKOFF, sleep, type Backoff } from './retry.ts';
import { raceSignal, Transport, type Validator } from './transport.ts';

export interface EndpointConfig {
  url: string;
  maxInFlight: number;
}

export interface OpenAIOptions {
  endpoints: EndpointConfig[];
  /** Base model id; default: the first model with parent null in GET /v1/models of the first healthy endpoint. */
  model?: string;
  /** Sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** Per attempt, headers and body together. */
  requestTimeoutMs: number;
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Full-jitter exponential backoff; default 200 / 10000 ms. */
  backoff?: Backoff;
  /** Consecutive failures (connection errors, 5xx, timeouts; not 429) that take an endpoint out; default 3. */
  failuresBeforeEjection?: number;
  /** How often an out endpoint is probed (GET /health, then GET /v1/models); default 1000 ms. */
  probeIntervalMs?: number;
  /** How long requests wait while every endpoint is out before failing with EndpointsDownError. */
  downTimeoutMs: number;
  /** The response cache (JSONL); absent: no cache. */
  cacheFile?: string;
  tokenizer: 'server' | 'bundled';
  speakerPrefill: boolean;
  /** Merged into every chat and completions body. */
  extraBody?: Record<string, unknown>;
  /** Human-facing notices (endpoint out/back, waiting for a loading server); default: stderr. */
  log?: (line: string) => void;
}

export interface UsageReport {
  endpoints: EndpointUsage[];
  /** Requests answered from the response cache, without the network. */
  cacheHits: number;
  /** Requests that shared an identical request already in flight (cache on). */
  shared: number;
}

export interface BackendInfo {
  model: string;
  endpoints: Array<{ url: string; version: string | null }>;
  capabilities: Capabilities;
}

type Json = Record<string, unknown>;

interface ChatChoice {
  index?: number;
  message: { content: string | null };
  finish_reason?: string | null;
}

function chatValidator(n: number): Validator {
  return (v) => {
    const choices = (v as { choices?: unknown } | null)?.choices;
    if (!Array.isArray(choices)) return 'choices is missing';
    if (choices.length !== n) return `choices has ${choices.length} entries, expected n = ${n}`;
    for (let i = 0; i < choices.length; i++) {
      const c = choices[i] as { message?: { content?: unknown } } | null;
      if (typeof c !== 'object' || c === null) return `choices[${i}] is missing`;
      const m = c.message;
      if (typeof m !== 'object' || m === null) return `choices[${i}].message is missing`;
      if (typeof m.content !== 'string' && m.content !== null) return `choices[${i}].message.content is missing`;
    }
    return null;
  };
}

const tokenCountValidator: Validator = (v) => {
  const r = v as { count?: unknown; tokens?: unknown } | null;
  return typeof r?.count === 'number' || Array.isArray(r?.tokens) ? null : 'count is missing';
};

const tokenIdsValidator: Validator = (v) => {
  const t = (v as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(t)) return 'tokens is missing';
  for (let i = 0; i < t.length; i++) if (!Number.isInteger(t[i])) return `tokens[${i}] is not a token id`;
  return null;
};

function countOf(v: unknown): number {
  const r = v as { count?: unknown; tokens?: unknown[] };
  return typeof r.count === 'number' ? r.count : (r.tokens as unknown[]).length;
}

export class OpenAIBackend implements ModelBackend {
  readonly name: string;
  readonly info: BackendInfo;
  private readonly model: string;
  private readonly prefill: boolean;
  private readonly serverTokens: boolean;
  private readonly extra: Json | undefined;
  /** Server token counts per text. */
  private readonly counts = new Map<string, number>();
  private readonly counting = new Map<string, Promise<number>>();
  private readonly chatValidators: Validator[] = [];
  private closing: Promise<void> | undefined;

  /** Use connectOpenAI. */
  constructor(
    private readonly t: Transport,
    info: BackendInfo,
    opts: OpenAIOptions,
  ) {
    this.info = info;
    this.model = info.model;
    this.prefill = opts.speakerPrefill;
    this.serverTokens = opts.tokenizer === 'server';
    this.extra = opts.extraBody !== undefined && Object.keys(opts.extraBody).length > 0 ? opts.extraBody : undefined;
    const urls = t.pool.endpoints.map((e) => e.url);
    this.name = urls.length === 1 ? `openai(${urls[0]})` : `openai(${urls.length} endpoints)`;
  }

  async sample(req: SampleRequest, options?: { signal?: AbortSignal }): Promise<Completion[]> {
    const signal = options?.signal;
    if (signal?.aborted) throw signal.reason;
    if (req.n > 1 && !this.info.capabilities.n) {
      // The server ignores n: n requests of one, seeds seed + i, results in order.
      const parts: Array<Promise<Completion[]>> = [];
      for (let i = 0; i < req.n; i++) parts.push(this.sampleN(req, 1, (req.seed + i) >>> 0, signal));
      return (await Promise.all(parts)).flat();
    }
    return this.sampleN(req, req.n, req.seed, signal);
  }

  private async sampleN(req: SampleRequest, n: number, seed: number, signal: AbortSignal | undefined): Promise<Completion[]> {
    const model = req.adapter ?? this.model;
    const prefix = `${req.speaker}:`;
    // Key order is fixed: the body's JSON is the cache key.
    const body: Json = this.prefill
      ? {
          model,
          messages: [...req.messages, { role: 'assistant', content: prefix }],
          continue_final_message: true,
          add_generation_prompt: false,
          n,
          temperature: req.temperature,
          max_tokens: req.maxTokens,
          seed,
        }
      : { model, messages: req.messages, n, temperature: req.temperature, max_tokens: req.maxTokens, seed };
    if (this.extra !== undefined) Object.assign(body, this.extra);
    const validate = (this.chatValidators[n] ??= chatValidator(n));
    const res = (await this.t.post('/v1/chat/completions', JSON.stringify(body), req.adapter, validate, signal)) as { choices: ChatChoice[] };
    let choices = res.choices;
    if (choices.some((c, i) => typeof c.index === 'number' && c.index !== i)) {
      choices = [...choices].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    }
    const out: Completion[] = new Array(choices.length);
    const pending: Array<Promise<void>> = [];
    for (let i = 0; i < choices.length; i++) {
      const c = choices[i] as ChatChoice;
      const content = c.message.content ?? '';
      const text = this.prefill ? prefix + content : withNamePrefix(req.speaker, content);
      const finishReason = c.finish_reason === 'length' ? 'length' : 'stop';
      if (!this.serverTokens) {
        out[i] = { text, tokens: llama3Count(text), finishReason };
        continue;
      }
      const known = this.counts.get(text);
      if (known !== undefined) out[i] = { text, tokens: known, finishReason };
      else pending.push(this.serverCount(text).then((tokens) => void (out[i] = { text, tokens, finishReason })));
    }
    if (pending.length > 0) {
      const all: Promise<unknown> = pending.length === 1 ? (pending[0] as Promise<void>) : Promise.all(pending);
      await (signal === undefined ? all : raceSignal(all, signal, noop));
    }
    return out;
  }

  /** The server's count of `text`'s tokens (no special tokens), once per text. */
  private serverCount(text: string): Promise<number> {
    let p = this.counting.get(text);
    if (p === undefined) {
      const body = JSON.stringify({ model: this.model, prompt: text, add_special_tokens: false });
      p = this.t.post('/tokenize', body, undefined, tokenCountValidator).then(
        (v) => {
          const n = countOf(v);
          this.counts.set(text, n);
          this.counting.delete(text);
          return n;
        },
        (err: unknown) => {
          this.counting.delete(text);
          throw err;
        },
      );
      this.counting.set(text, p);
    }
    return p;
  }

  async logLikelihood(messages: ChatMessage[], text: string, adapter?: string): Promise<LogLikelihood> {
    const caps = this.info.capabilities;
    if (!caps.echoLogprobs || !caps.tokenize) {
      throw new CapabilityError(
        `${this.name} cannot score a given text: the server ${caps.tokenize ? 'gives no prompt log-probabilities (echo)' : 'has no /tokenize'}; ` +
          'a reward whose lambdaLoss is not 0 needs a server that does (e.g. vLLM, serve-sim)',
      );
    }
    const prefixBody =
      messages.length > 0
        ? { model: this.model, messages, add_generation_prompt: true }
        : { model: this.model, prompt: '', add_special_tokens: true };
    const [pv, rv] = await Promise.all([
      this.t.post('/tokenize', JSON.stringify(prefixBody), undefined, tokenIdsValidator),
      this.t.post('/tokenize', JSON.stringify({ model: this.model, prompt: text, add_special_tokens: false }), undefined, tokenIdsValidator),
    ]);
    const P = (pv as { tokens?: unknown }).tokens;
    const R = (rv as { tokens?: unknown }).tokens;
    if (!Array.isArray(P) || !Array.isArray(R)) {
      throw new InvalidResponseError({ method: 'POST', path: '/tokenize', endpoint: null, status: 200, cause: 'invalid response: tokens is missing', attempts: 1 });
    }
    this.counts.set(text, R.length);
    if (R.length === 0) return { logprob: 0, tokens: 0 };
    const from = P.length;
    const to = P.length + R.length;
    const validate: Validator = (v) => {
      const lp = (v as { choices?: Array<{ logprobs?: { token_logprobs?: unknown } }> } | null)?.choices?.[0]?.logprobs?.token_logprobs;
      if (!Array.isArray(lp)) return 'choices[0].logprobs.token_logprobs is missing';
      if (lp.length < to) return `choices[0].logprobs.token_logprobs has ${lp.length} entries, fewer than the ${to} prompt tokens`;
      for (let i = from; i < to; i++) if (typeof lp[i] !== 'number') return `choices[0].logprobs.token_logprobs[${i}] is not a number`;
      return null;
    };
    const body: Json = { model: adapter ?? this.model, prompt: P.concat(R), max_tokens: 1, echo: true, logprobs: 1, temperature: 0 };
    if (this.extra !== undefined) Object.assign(body, this.extra);
    const res = (await this.t.post('/v1/completions', JSON.stringify(body), adapter, validate)) as { choices: Array<{ logprobs: { token_logprobs: number[] } }> };
    const lp = (res.choices[0] as { logprobs: { token_logprobs: number[] } }).logprobs.token_logprobs;
    let sum = 0;
    for (let i = from; i < to; i++) sum += lp[i] as number;
    return { logprob: sum, tokens: R.length };
  }

  /** The server's count when this text was counted (every sampled text is), else the bundled Llama-3 count. */
  countTokens(text: string): number {
    if (!this.serverTokens) return llama3Count(text);
    return this.counts.get(text) ?? llama3Count(text);
  }

  /** Makes `name` selectable as `adapter`; it is loaded on each endpoint before the first request there that uses it. */
  registerAdapter(name: string, path: string): void {
    if (!this.info.capabilities.runtimeLora) {
      throw new CapabilityError(`${this.name}: the server cannot load adapters at run time (for vLLM: --enable-lora and VLLM_ALLOW_RUNTIME_LORA_UPDATING=True)`);
    }
    const known = this.t.adapterPaths.get(name);
    if (known !== undefined && known !== path) throw new Error(`${this.name}: adapter '${name}' is registered from ${known}; release it before registering ${path}`);
    this.t.adapterPaths.set(name, path);
  }

  /** Unloads `name` from every endpoint where it is loaded (an unknown name is fine) and forgets it. */
  async releaseAdapter(name: string): Promise<void> {
    this.t.adapterPaths.delete(name);
    await Promise.all(
      this.t.pool.endpoints.map(async (ep) => {
        const loading = ep.loadingAdapters.get(name);
        if (loading !== undefined) await loading.catch(noop);
        const wasLoaded = ep.loadedAdapters.delete(name) || loading !== undefined;
        if (!wasLoaded || ep.out) return;
        await this.unload(ep, name);
      }),
    );
  }

  /** On every reachable endpoint, unloads each model id that starts with `prefix`; returns the ids unloaded. */
  /**
   * For shutting down (Ctrl-C, the end of a run): loads no adapter from now on, waits for the
   * loads in progress, then unloads every adapter whose name starts with `prefix`, so none is
   * left on a server by a request that was still on its way.
   */
  async unloadAll(prefix: string): Promise<string[]> {
    this.t.adaptersClosed = true;
    await Promise.allSettled(this.t.pool.endpoints.flatMap((ep) => [...ep.loadingAdapters.values()]));
    return this.unloadMatching(prefix);
  }

  async unloadMatching(prefix: string): Promise<string[]> {
    const unloaded = new Set<string>();
    await Promise.all(
      this.t.pool.endpoints.map(async (ep) => {
        if (ep.out) return;
        let ids: string[];
        try {
          ids = (await listModels(this.t, ep)).map((m) => m.id).filter((id) => id.startsWith(prefix) && id !== this.model);
        } catch (err) {
          this.t.opts.log(`endpoint ${ep.url}: cannot list models to unload '${prefix}*' adapters (${describe(err)})`);
          return;
        }
        for (const id of ids) {
          ep.loadedAdapters.delete(id);
          if (await this.unload(ep, id)) unloaded.add(id);
        }
      }),
    );
    return [...unloaded].sort();
  }

  /** POST /v1/unload_lora_adapter; true when unloaded (404, not loaded, is fine), false with a log line otherwise. */
  private async unload(ep: Endpoint, name: string): Promise<boolean> {
    try {
      const r = await this.t.direct(ep, 'POST', '/v1/unload_lora_adapter', { lora_name: name });
      if ((r.status >= 200 && r.status < 300) || r.status === 404) return r.status !== 404;
      this.t.opts.log(`endpoint ${ep.url}: unloading adapter '${name}' failed: ${r.status} ${serverMessage(r.text)}`);
    } catch (err) {
      this.t.opts.log(`endpoint ${ep.url}: unloading adapter '${name}' failed: ${describe(err)}`);
    }
    return false;
  }

  usage(): UsageReport {
    return { endpoints: this.t.pool.endpoints.map((e) => ({ ...e.usage })), cacheHits: this.t.cacheHits, shared: this.t.shared };
  }

  /** Stops the probers, closes the connections (requests in flight get a moment to finish) and flushes the cache. */
  close(): Promise<void> {
    this.closing ??= closeAll(this.t);
    return this.closing;
  }
}

/** How long close() lets requests still in flight finish before it cuts their connections. */
const CLOSE_GRACE_MS = 1000;

async function closeAll(t: Transport): Promise<void> {
  t.pool.close();
  await Promise.all(
    t.pool.endpoints.map(async (e) => {
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), CLOSE_GRACE_MS)));
      const done = await Promise.race([e.conn.close().then(() => 'closed' as const, () => 'closed' as const), graceOver]);
      clearTimeout(timer);
      if (done === 'late') await e.conn.destroy().catch(noop);
    }),
  );
  // Last, so that responses of requests that finished while closing are still saved.
  await t.cache?.close();
}

function noop(): void {}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function defaultLog(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Connects to the endpoints: waits until one is healthy (a loading server answers 503; waits up
 * to downTimeoutMs, logging), resolves the model, reads versions and probes capabilities.
 * Endpoints not ready by then are probed in the background and join when they answer.
 */
export async function connectOpenAI(opts: OpenAIOptions): Promise<OpenAIBackend> {
  if (opts.endpoints.length === 0) throw new Error('openai backend: no endpoint given');
  const log = opts.log ?? defaultLog;
  const endpoints = opts.endpoints.map((e, i) => new Endpoint(e.url, e.maxInFlight, i));
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.apiKey !== undefined && opts.apiKey !== '') headers.authorization = `Bearer ${opts.apiKey}`;
  let cache: ResponseCache | undefined;
  let transport: Transport | undefined;
  const info: BackendInfo = {
    model: '',
    endpoints: endpoints.map((e) => ({ url: e.url, version: null })),
    capabilities: { n: false, seed: false, tokenize: false, echoLogprobs: false, runtimeLora: false },
  };
  try {
    cache = opts.cacheFile !== undefined ? await ResponseCache.open(opts.cacheFile, log) : undefined;
    const pool = new EndpointPool(endpoints, {
      failuresBeforeEjection: opts.failuresBeforeEjection ?? 3,
      probeIntervalMs: opts.probeIntervalMs ?? 1000,
      downTimeoutMs: opts.downTimeoutMs,
      probe: (ep) => checkHealth(transport as Transport, ep),
      onIn: (ep) => {
        // A server that comes back may be another version: read it again.
        void serverVersion(transport as Transport, ep).then((v) => {
          ep.version = v;
          (info.endpoints[ep.index] as { version: string | null }).version = v;
        });
      },
      log,
    });
    transport = new Transport(pool, { requestTimeoutMs: opts.requestTimeoutMs, maxRetries: opts.maxRetries, backoff: opts.backoff ?? DEFAULT_BACKOFF, headers, log }, cache);
    const t = transport;

    const first = await waitForHealthy(t, endpoints, opts.downTimeoutMs, opts.probeIntervalMs ?? 1000, log);
    info.model = opts.model ?? (await baseModel(t, first));
    await Promise.all(
      endpoints
        .filter((e) => !e.out)
        .map(async (e) => {
          e.version = await serverVersion(t, e);
          (info.endpoints[e.index] as { version: string | null }).version = e.version;
        }),
    );
    try {
      info.capabilities = await probeCapabilities(t, first, { model: info.model, speakerPrefill: opts.speakerPrefill, extraBody: opts.extraBody, log });
    } catch (err) {
      if (err instanceof AttemptError) throw new Error(`${first.url}: probing capabilities failed: ${err.message}`);
      throw err;
    }
    if (opts.tokenizer === 'server' && !info.capabilities.tokenize) {
      throw new CapabilityError(`${first.url}: the server has no /tokenize; use the bundled tokenizer (--tokenizer bundled)`);
    }
    return new OpenAIBackend(t, info, opts);
  } catch (err) {
    transport?.pool.close();
    await Promise.allSettled([cache?.close(), ...endpoints.map((e) => e.conn.destroy())]);
    throw err;
  }
}

/**
 * Checks every endpoint each round until at least one is healthy; the others are taken out
 * (and probed in the background). Logs the wait for a loading server once per new reason.
 */
async function waitForHealthy(t: Transport, endpoints: Endpoint[], downTimeoutMs: number, intervalMs: number, log: (line: string) => void): Promise<Endpoint> {
  const deadline = Date.now() + downTimeoutMs;
  const said = new Map<Endpoint, string>();
  for (;;) {
    const problems = await Promise.all(endpoints.map((ep) => checkHealth(t, ep)));
    const healthy = endpoints.filter((_, i) => problems[i] === null);
    if (healthy.length > 0) {
      endpoints.forEach((ep, i) => {
        const p = problems[i];
        if (p === null || p === undefined) return;
        ep.lastError = p;
        t.pool.takeOut(ep, `not ready at start-up (${p}); probing it until it answers`);
      });
      return healthy[0] as Endpoint;
    }
    endpoints.forEach((ep, i) => {
      const p = problems[i] as string;
      ep.lastError = p;
      const reason = p.replace(/\d+ ms/g, '');
      if (said.get(ep) !== reason) {
        said.set(ep, reason);
        log(`waiting for ${ep.url}: ${p}`);
      }
    });
    const left = deadline - Date.now();
    if (left <= 0) throw new EndpointsDownError(downTimeoutMs, endpoints.map((e) => ({ url: e.url, lastError: e.lastError })));
    await sleep(Math.min(intervalMs, left));
  }
}
