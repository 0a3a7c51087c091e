/**
 * serve-sim: the simulated model behind a real HTTP server (node:http, keep-alive), speaking the
 * vLLM subset of docs/http-protocol.md, with injected faults for testing clients: latency, a
 * capacity limit, error statuses, connection resets, hangs and a slow start.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { SimWorld } from '../engine/sim/world.ts';
import { FAULT_STATUS, faultDecider, type FaultKind, type FaultOptions } from './faults.ts';
import { errorBody, HttpError, SimRoutes, type Reply } from './handlers.ts';

export type { FaultOptions, FaultRates } from './faults.ts';

export interface SimServerOptions {
  world: SimWorld;
  /** The base model's id (default 'dits-sim'). */
  modelName?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  faults?: FaultOptions;
}

export interface SimServerStats {
  /** Inference requests (chat, completions, tokenize, detokenize) received once loaded. */
  requests: number;
  /** Inference requests answered 200. */
  completed: number;
  /** Inference answers by HTTP status. */
  byStatus: Record<string, number>;
  /** Injected faults by kind; `capacity` counts requests turned away over capacity. */
  faultsInjected: Record<FaultKind | 'capacity', number>;
  /** Inference requests received and not yet answered (hung ones until the client hangs up). */
  inFlight: number;
  peakInFlight: number;
  /** Requests (any route) answered 503 during the startup delay. */
  loadingRejected: number;
}

export interface SimServer {
  url: string;
  port: number;
  stats(): SimServerStats;
  /** Stops listening, ends hung requests, lets answers in progress finish, then closes every connection. */
  close(): Promise<void>;
  /** As a crashed process: stops listening and resets every connection at once. */
  kill(): void;
}

export const DEFAULT_MODEL_NAME = 'dits-sim';
const MAX_BODY_BYTES = 256 * 1024 * 1024;
/** How long close() waits for answers in progress before closing their connections anyway. */
const CLOSE_GRACE_MS = 10_000;

type Route = { method: 'GET' | 'POST'; inference: boolean; run: (routes: SimRoutes, body: unknown) => Reply | Promise<Reply> };

const ROUTES: Record<string, Route> = {
  '/v1/chat/completions': { method: 'POST', inference: true, run: (r, b) => r.chat(b) },
  '/v1/completions': { method: 'POST', inference: true, run: (r, b) => r.completions(b) },
  '/tokenize': { method: 'POST', inference: true, run: (r, b) => r.tokenize(b) },
  '/detokenize': { method: 'POST', inference: true, run: (r, b) => r.detokenize(b) },
  '/v1/load_lora_adapter': { method: 'POST', inference: false, run: (r, b) => r.loadAdapter(b) },
  '/v1/unload_lora_adapter': { method: 'POST', inference: false, run: (r, b) => r.unloadAdapter(b) },
  '/v1/models': { method: 'GET', inference: false, run: (r) => r.models() },
  '/version': { method: 'GET', inference: false, run: (r) => r.version() },
  '/health': { method: 'GET', inference: false, run: () => ({ status: 200, json: { status: 'ok' } }) },
  '/sim/train': { method: 'POST', inference: false, run: (r, b) => r.train(b) },
};

const LOADING_BODY = JSON.stringify({ error: { code: 503, message: 'Loading model', type: 'unavailable_error' } });

export async function startSimServer(opts: SimServerOptions): Promise<SimServer> {
  const modelName = opts.modelName ?? DEFAULT_MODEL_NAME;
  const host = opts.host ?? '127.0.0.1';
  const faults = opts.faults ?? {};
  const decide = faultDecider(faults);
  const capacity = faults.capacity;
  const overCapacityStatus = faults.overCapacityStatus ?? 429;
  const retryAfter = faults.retryAfterSeconds;
  const routes = new SimRoutes(opts.world, modelName);

  const stats: SimServerStats = {
    requests: 0,
    completed: 0,
    byStatus: {},
    faultsInjected: { capacity: 0, s429: 0, s503: 0, s500: 0, reset: 0, hang: 0 },
    inFlight: 0,
    peakInFlight: 0,
    loadingRejected: 0,
  };
  const sockets = new Set<Socket>();
  const hung = new Set<ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();
  /** Requests being answered per connection (any route, hung ones excluded): close() lets them finish. */
  const busy = new Map<Socket, number>();
  let closing = false;
  let dead = false;
  let readyAt = faults.startupDelayMs !== undefined && faults.startupDelayMs > 0 ? performance.now() + faults.startupDelayMs : 0;

  function send(res: ServerResponse, status: number, body: string, contentType: string, headers?: Record<string, string>): void {
    if (dead || res.destroyed || res.headersSent) return;
    if (closing) res.shouldKeepAlive = false;
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...headers });
    res.end(body);
  }

  function sendReply(res: ServerResponse, reply: Reply): void {
    if (reply.text !== undefined) send(res, reply.status, reply.text, 'text/plain; charset=utf-8');
    else send(res, reply.status, JSON.stringify(reply.json), 'application/json');
  }

  function sendError(res: ServerResponse, status: number, message: string, withRetryAfter = false): void {
    const headers = withRetryAfter && retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : undefined;
    send(res, status, JSON.stringify(errorBody(status, message)), 'application/json', headers);
  }

  function readBody(req: IncomingMessage, done: (err: HttpError | null, body: unknown) => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return done(new HttpError(413, `request body: larger than ${MAX_BODY_BYTES} bytes`), null);
      if (size === 0) return done(null, undefined);
      const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
      try {
        done(null, JSON.parse(text));
      } catch (e) {
        done(new HttpError(400, `request body: not JSON (${(e as Error).message})`), null);
      }
    });
  }

  /** Reads the body, waits `latencyMs`, runs the route and answers. */
  function serve(req: IncomingMessage, res: ServerResponse, route: Route, latencyMs: number): void {
    const socket = req.socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    let bodyDone = false;
    let timerDone = latencyMs <= 0;
    let parsed: { err: HttpError | null; body: unknown } = { err: null, body: undefined };
    const finish = () => {
      const n = (busy.get(socket) ?? 1) - 1;
      if (n > 0) busy.set(socket, n);
      else busy.delete(socket);
    };
    const answer = (): void => {
      if (!bodyDone || !timerDone) return;
      if (dead) return finish();
      if (parsed.err) {
        sendError(res, parsed.err.status, parsed.err.message);
        return finish();
      }
      let out: Reply | Promise<Reply>;
      try {
        out = route.run(routes, parsed.body ?? {});
      } catch (e) {
        failed(e);
        return finish();
      }
      if (out instanceof Promise) {
        out.then(
          (r) => {
            sendReply(res, r);
            finish();
          },
          (e) => {
            failed(e);
            finish();
          },
        );
      } else {
        sendReply(res, out);
        finish();
      }
    };
    const failed = (e: unknown): void => {
      if (e instanceof HttpError) sendError(res, e.status, e.message);
      else sendError(res, 500, `internal error: ${(e as Error)?.message ?? String(e)}`);
    };
    if (!timerDone) {
      const t = setTimeout(() => {
        timers.delete(t);
        timerDone = true;
        answer();
      }, latencyMs);
      timers.add(t);
    }
    readBody(req, (err, body) => {
      parsed = { err, body };
      bodyDone = true;
      answer();
    });
  }

  function onInference(req: IncomingMessage, res: ServerResponse, route: Route): void {
    const k = stats.requests++;
    res.once('finish', () => {
      stats.byStatus[res.statusCode] = (stats.byStatus[res.statusCode] ?? 0) + 1;
      if (res.statusCode === 200) stats.completed++;
    });
    if (capacity !== undefined && stats.inFlight >= capacity) {
      stats.faultsInjected.capacity++;
      req.resume();
      sendError(res, overCapacityStatus, `over capacity: ${capacity} requests in flight`, true);
      return;
    }
    stats.inFlight++;
    if (stats.inFlight > stats.peakInFlight) stats.peakInFlight = stats.inFlight;
    let counted = true;
    const leave = () => {
      if (!counted) return;
      counted = false;
      stats.inFlight--;
      hung.delete(res);
    };
    res.once('finish', leave);
    res.once('close', leave);

    const decision = decide ? decide(k) : null;
    const fault = decision?.fault ?? null;
    if (fault !== null) {
      stats.faultsInjected[fault]++;
      if (fault === 'reset') {
        const socket = req.socket;
        if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed) socket.resetAndDestroy();
        else socket.destroy();
        return;
      }
      req.resume();
      if (fault === 'hang') {
        hung.add(res);
        return;
      }
      const status = FAULT_STATUS[fault];
      sendError(res, status, `injected fault: ${status}`, status !== 500);
      return;
    }
    serve(req, res, route, decision?.latencyMs ?? 0);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (dead) {
      req.socket.destroy();
      return;
    }
    if (readyAt > 0) {
      if (performance.now() < readyAt) {
        stats.loadingRejected++;
        req.resume();
        send(res, 503, LOADING_BODY, 'application/json');
        return;
      }
      readyAt = 0;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
    if (route === undefined) {
      req.resume();
      if (path === '/sim/stats' && req.method === 'GET') send(res, 200, JSON.stringify(snapshot()), 'application/json');
      else sendError(res, 404, `no route ${req.method ?? ''} ${path}`);
      return;
    }
    if (req.method !== route.method) {
      req.resume();
      sendError(res, 405, `${path} takes ${route.method}, not ${req.method ?? ''}`);
      return;
    }
    if (route.inference) onInference(req, res, route);
    else serve(req, res, route, 0);
  }

  function snapshot(): SimServerStats {
    return { ...stats, byStatus: { ...stats.byStatus }, faultsInjected: { ...stats.faultsInjected } };
  }

  const server = createServer({ keepAlive: true, noDelay: true }, onRequest);
  // Longer than the clients' idle timeouts, so a client never reuses a socket the server is closing.
  server.keepAliveTimeout = 65_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => {
      sockets.delete(s);
      busy.delete(s);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (opts.port ?? 0);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closed: Promise<void> | null = null;
  const whenClosed = new Promise<void>((resolve) => server.once('close', () => resolve()));

  function close(): Promise<void> {
    if (closed) return closed;
    closing = true;
    server.close();
    for (const res of hung) res.socket?.destroy();
    hung.clear();
    // Idle connections end once their written answers are flushed; busy ones end after their
    // answer, which goes out with `Connection: close` (send).
    for (const s of sockets) if (!busy.has(s)) s.end();
    const grace = setTimeout(() => {
      for (const s of sockets) s.destroy();
    }, CLOSE_GRACE_MS);
    grace.unref();
    closed = whenClosed.then(() => clearTimeout(grace));
    return closed;
  }

  function kill(): void {
    if (dead) return;
    dead = true;
    closing = true;
    server.close();
    for (const t of timers) clearTimeout(t);
    timers.clear();
    hung.clear();
    for (const s of sockets) {
      if (typeof s.resetAndDestroy === 'function' && !s.destroyed) s.resetAndDestroy();
      else s.destroy();
    }
    sockets.clear();
    closed ??= whenClosed;
  }

  return { url, port, stats: snapshot, close, kill };
}
