/**
 * A scripted OpenAI-protocol server for the openai backend's tests: default routes behave like
 * a small, deterministic vLLM; `script` queues one-off replies per route and `override` replaces
 * a route. It records every request and the peak number in flight.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  body: any;
  raw: string;
  headers: IncomingMessage['headers'];
}

export interface Reply {
  status?: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (the client must time out). */
  hang?: boolean;
  /** Destroy the socket without answering (a connection reset). */
  destroy?: boolean;
  /** Send the headers and the start of the body, then never finish it. */
  stall?: boolean;
}

/** Returns a reply, or undefined to fall through to the default route. */
export type Handler = (req: Received, mock: MockServer) => Reply | undefined | Promise<Reply | undefined>;

export const BASE = 'base-model';

/** Deterministic token ids of a text: one per whitespace-separated word. */
export function wordIds(text: string): number[] {
  return text
    .split(/\s+/)
    .filter((w) => w !== '')
    .map((w) => 100 + [...w].reduce((s, c) => (s * 31 + c.charCodeAt(0)) % 5000, 7));
}

/** The log-probability the mock gives prompt token `id` at position `i` (i >= 1). */
export function mockLogprob(id: number, i: number): number {
  return -((id % 97) + i) / 100;
}

export class MockServer {
  readonly received: Received[] = [];
  readonly loaded = new Set<string>();
  inFlight = 0;
  peak = 0;
  /** Delay of every chat completion (ms). */
  chatDelayMs = 0;
  /** When false, chat completions ignore `n` (answer one choice). */
  honoursN = true;
  private readonly scripts = new Map<string, Reply[]>();
  private readonly overrides = new Map<string, Handler>();
  private readonly sockets = new Set<import('node:net').Socket>();
  url = '';
  private server!: Server;

  static async start(): Promise<MockServer> {
    const m = new MockServer();
    m.server = createServer((req, res) => void m.handle(req, res));
    m.server.on('connection', (s) => {
      m.sockets.add(s);
      s.on('close', () => m.sockets.delete(s));
    });
    await new Promise<void>((r) => m.server.listen(0, '127.0.0.1', r));
    m.url = `http://127.0.0.1:${(m.server.address() as AddressInfo).port}`;
    return m;
  }

  /** Queues replies for `METHOD /path` (used first, one per request). */
  script(route: string, ...replies: Reply[]): void {
    this.scripts.set(route, [...(this.scripts.get(route) ?? []), ...replies]);
  }

  override(route: string, handler: Handler | undefined): void {
    if (handler === undefined) this.overrides.delete(route);
    else this.overrides.set(route, handler);
  }

  /** Requests received on `METHOD /path`. */
  requests(route: string): Received[] {
    return this.received.filter((r) => `${r.method} ${r.path}` === route);
  }

  count(route: string): number {
    return this.requests(route).length;
  }

  reset(): void {
    this.received.length = 0;
    this.peak = this.inFlight;
  }

  /** Stops listening and drops every connection (hanging requests included). */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const r: Received = { method: req.method ?? '', path: req.url ?? '', body: raw ? JSON.parse(raw) : undefined, raw, headers: req.headers };
    this.received.push(r);
    const counted = r.method === 'POST';
    if (counted) this.peak = Math.max(this.peak, ++this.inFlight);
    try {
      const route = `${r.method} ${r.path}`;
      const queued = this.scripts.get(route);
      let reply: Reply | undefined = queued !== undefined && queued.length > 0 ? queued.shift() : undefined;
      reply ??= await this.overrides.get(route)?.(r, this);
      reply ??= this.defaultRoute(r);
      if (reply.delayMs) await new Promise((w) => setTimeout(w, reply.delayMs));
      if (reply.hang) {
        await new Promise<void>((w) => res.on('close', () => w()));
        return;
      }
      if (reply.destroy) {
        req.socket.destroy();
        return;
      }
      const body = reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? '');
      res.writeHead(reply.status ?? 200, { 'content-type': reply.json !== undefined ? 'application/json' : 'text/plain', ...reply.headers });
      if (reply.stall) {
        res.write('{"choices": [');
        await new Promise<void>((w) => res.on('close', () => w()));
        return;
      }
      res.end(body);
    } finally {
      if (counted) this.inFlight--;
    }
  }

  private defaultRoute(r: Received): Reply {
    const b = r.body ?? {};
    switch (`${r.method} ${r.path}`) {
      case 'GET /health':
        return { text: '' };
      case 'GET /version':
        return { json: { version: '0.9-mock' } };
      case 'GET /v1/models':
        return {
          json: {
            object: 'list',
            data: [{ id: BASE, object: 'model', root: BASE, parent: null }, ...[...this.loaded].map((id) => ({ id, object: 'model', root: `/adapters/${id}`, parent: BASE }))],
          },
        };
      case 'POST /v1/chat/completions': {
        const n = this.honoursN ? (b.n ?? 1) : 1;
        const choices = Array.from({ length: n }, (_, i) => ({
          index: i,
          message: { role: 'assistant', content: ` said ${b.seed}.${i} to ${b.model}` },
          finish_reason: b.max_tokens <= 2 ? 'length' : 'stop',
        }));
        return { delayMs: this.chatDelayMs, json: { choices, usage: { prompt_tokens: 10, completion_tokens: 3 * n, total_tokens: 10 + 3 * n } } };
      }
      case 'POST /tokenize': {
        let tokens: number[];
        if (Array.isArray(b.messages)) {
          tokens = [1, ...b.messages.flatMap((m: { content: string }) => [2, ...wordIds(m.content)]), ...(b.add_generation_prompt ? [3] : [])];
        } else tokens = [...(b.add_special_tokens ? [1] : []), ...wordIds(b.prompt)];
        return { json: { count: tokens.length, max_model_len: 8192, tokens } };
      }
      case 'POST /v1/completions': {
        const prompt: number[] = b.prompt;
        const token_logprobs = [null, ...prompt.slice(1).map((id, i) => mockLogprob(id, i + 1)), -0.5];
        return { json: { choices: [{ index: 0, text: 'x', logprobs: { token_logprobs }, finish_reason: 'length' }], usage: { prompt_tokens: prompt.length, completion_tokens: 1 } } };
      }
      case 'POST /v1/load_lora_adapter':
        if (this.loaded.has(b.lora_name)) return { status: 400, json: { object: 'error', message: `The lora adapter '${b.lora_name}' has already been loaded.`, type: 'InvalidUserInput', code: 400 } };
        this.loaded.add(b.lora_name);
        return { text: `Success: LoRA adapter '${b.lora_name}' added successfully.` };
      case 'POST /v1/unload_lora_adapter':
        if (!this.loaded.delete(b.lora_name)) return { status: 404, json: { object: 'error', message: `The lora adapter '${b.lora_name}' cannot be found.`, type: 'NotFoundError', code: 404 } };
        return { text: `Success: LoRA adapter '${b.lora_name}' removed successfully.` };
      default:
        return { status: 404, json: { detail: 'Not Found' } };
    }
  }
}
