import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { countTokens } from '../../engine/sim/tokcount.ts';
import { faultDecider, parseFailSpec, parseLatency, type FaultOptions } from '../../serve-sim/faults.ts';
import { startSimServer, type SimServer } from '../../serve-sim/server.ts';
import { ieFixture, post, sleep, until } from './helpers.ts';

const f = ieFixture(4);
const servers: SimServer[] = [];
async function start(faults: FaultOptions): Promise<SimServer> {
  const s = await startSimServer({ world: f.world, faults });
  servers.push(s);
  return s;
}
afterEach(async () => {
  for (const s of servers.splice(0)) s.kill();
});

const TOKENIZE = { prompt: 'Alice: hello', add_special_tokens: false };

/** What the client sees of one request: its status, or `reset` when the connection died without an answer. */
async function outcome(url: string, path = '/tokenize', body: unknown = TOKENIZE): Promise<number | 'reset'> {
  try {
    return (await post(url, path, body)).status;
  } catch {
    return 'reset';
  }
}

/** A keep-alive connection to `url` left idle after one answered request. */
function idleKeepAlive(url: string): Promise<Socket> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return new Promise((resolve, reject) => {
    const req = request(`${url}/health`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(req.socket as Socket));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('fault decisions', () => {
  it('are a pure function of (seed, request number), with the configured shares', () => {
    const opts: FaultOptions = { seed: 7, rates: { s429: 0.1, s503: 0.2, s500: 0.05, reset: 0.05, hang: 0.1 }, latencyMs: [5, 15] };
    const a = faultDecider(opts)!;
    const b = faultDecider(opts)!;
    const counts: Record<string, number> = {};
    for (let k = 0; k < 4000; k++) {
      const d = a(k);
      expect(b(k)).toEqual(d);
      counts[d.fault ?? 'none'] = (counts[d.fault ?? 'none'] ?? 0) + 1;
      if (d.fault === null) expect(d.latencyMs >= 5 && d.latencyMs <= 15).toBe(true);
      else expect(d.latencyMs).toBe(0);
    }
    expect(counts['s503']! / 4000).toBeCloseTo(0.2, 1);
    expect(counts['none']! / 4000).toBeCloseTo(0.5, 1);
    expect(faultDecider({ seed: 8, rates: opts.rates })!(3)).not.toEqual(undefined);
    expect(faultDecider({})).toBeNull();
    expect(faultDecider({ latencyMs: [20, 20] })!(0)).toEqual({ fault: null, latencyMs: 20 });
  });

  it('parses --fail and --latency, refusing bad names, rates and sums', () => {
    expect(parseFailSpec('429=0.05,503=0.05,500=0.05,reset=0.05,hang=0.05')).toEqual({ s429: 0.05, s503: 0.05, s500: 0.05, reset: 0.05, hang: 0.05 });
    expect(() => parseFailSpec('404=0.1')).toThrow(/unknown kind '404'/);
    expect(() => parseFailSpec('429=1.5')).toThrow(/from 0 to 1/);
    expect(() => parseFailSpec('429=0.6,500=0.6')).toThrow(/sum to/);
    expect(() => parseFailSpec('429')).toThrow(/kind=rate/);
    expect(parseLatency('50')).toEqual([50, 50]);
    expect(parseLatency('20-80')).toEqual([20, 80]);
    expect(() => parseLatency('80-20')).toThrow(/maximum/);
    expect(() => parseLatency('fast')).toThrow(/milliseconds/);
  });
});

describe('injected faults', () => {
  it('answers each request as decided: the status mix, resets and Retry-After', async () => {
    const opts: FaultOptions = { seed: 11, rates: { s429: 0.1, s503: 0.1, s500: 0.1, reset: 0.1 }, retryAfterSeconds: 2 };
    const server = await start(opts);
    const decide = faultDecider(opts)!;
    const N = 150;
    const want: (number | 'reset')[] = [];
    const got: (number | 'reset')[] = [];
    for (let k = 0; k < N; k++) {
      const fault = decide(k).fault;
      want.push(fault === null ? 200 : fault === 'reset' ? 'reset' : Number(fault.slice(1)));
      got.push(await outcome(server.url));
    }
    expect(got).toEqual(want);
    expect(new Set(want).size).toBe(5);
    const stats = server.stats();
    expect(stats.requests).toBe(N);
    expect(stats.completed).toBe(want.filter((w) => w === 200).length);
    expect(stats.faultsInjected.reset).toBe(want.filter((w) => w === 'reset').length);
    expect(stats.byStatus['429']).toBe(want.filter((w) => w === 429).length);
    expect(stats.inFlight).toBe(0);
    // Retry-After on 429 and 503, not on 500; the error body names the status.
    const k429 = want.indexOf(429, 0);
    const k500 = want.indexOf(500, 0);
    const seen: Record<number, string | null> = {};
    const again = await start(opts);
    for (let k = 0; k <= Math.max(k429, k500); k++) {
      try {
        const r = await post(again.url, '/tokenize', TOKENIZE);
        seen[k] = r.headers.get('retry-after');
        if (k === k429) expect(r.body.error).toMatchObject({ code: 429 });
      } catch {
        seen[k] = null;
      }
    }
    expect(seen[k429]).toBe('2');
    expect(seen[k500]).toBeNull();
  });

  it('leaves /health, /v1/models, /version and adapter routes alone', async () => {
    const server = await start({ rates: { s500: 1 } });
    for (let i = 0; i < 5; i++) {
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      expect((await fetch(`${server.url}/v1/models`)).status).toBe(200);
      expect((await fetch(`${server.url}/version`)).status).toBe(200);
      expect((await post(server.url, '/v1/unload_lora_adapter', { lora_name: 'x' })).status).toBe(404);
    }
    expect(await outcome(server.url)).toBe(500);
    expect(server.stats().requests).toBe(1);
  });

  it('turns away requests over capacity with 429 or 503, Retry-After when set', async () => {
    for (const status of [429, 503] as const) {
      const server = await start({ capacity: 2, overCapacityStatus: status, latencyMs: [150, 150], retryAfterSeconds: 1 });
      const answers = await Promise.all([0, 1, 2, 3].map(() => post(server.url, '/tokenize', TOKENIZE)));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, status, status]);
      for (const a of answers) if (a.status === status) expect(a.headers.get('retry-after')).toBe('1');
      const stats = server.stats();
      expect(stats.faultsInjected.capacity).toBe(2);
      expect(stats.peakInFlight).toBe(2);
      // Once the slow ones are answered there is room again.
      expect(await outcome(server.url)).toBe(200);
    }
  });

  it('adds the decided latency', async () => {
    const server = await start({ latencyMs: [150, 150] });
    const t0 = performance.now();
    expect(await outcome(server.url)).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('holds a hung request, in flight, until the client hangs up', async () => {
    const server = await start({ rates: { hang: 1 } });
    const abort = new AbortController();
    let settled = false;
    const pending = fetch(`${server.url}/tokenize`, { method: 'POST', body: JSON.stringify(TOKENIZE), signal: abort.signal }).finally(() => (settled = true));
    await until(() => server.stats().inFlight === 1);
    await sleep(200);
    expect(settled).toBe(false);
    expect(server.stats().faultsInjected.hang).toBe(1);
    abort.abort();
    await expect(pending).rejects.toThrow();
    await until(() => server.stats().inFlight === 0);
    expect(server.stats().byStatus).toEqual({});
  });

  it('close() ends hung requests and resolves', async () => {
    const server = await startSimServer({ world: f.world, faults: { rates: { hang: 1 } } });
    const pending = fetch(`${server.url}/tokenize`, { method: 'POST', body: JSON.stringify(TOKENIZE) });
    await until(() => server.stats().inFlight === 1);
    await server.close();
    await expect(pending).rejects.toThrow();
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });

  it('close() lets answers in progress finish and closes idle keep-alive connections at once', async () => {
    const server = await startSimServer({ world: f.world, faults: { latencyMs: [200, 200] } });
    const idle = await idleKeepAlive(server.url);
    const order: string[] = [];
    idle.once('close', () => order.push('idle connection closed'));
    const slow = post(server.url, '/tokenize', TOKENIZE).then((r) => (order.push('answer arrived'), r));
    await until(() => server.stats().inFlight === 1);
    await server.close();
    const r = await slow;
    // "At once": the idle connection closed before the answer in progress was done, not after a grace period.
    expect(order).toEqual(['idle connection closed', 'answer arrived']);
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(countTokens(TOKENIZE.prompt));
  });

  it('reset destroys the connection without an answer', async () => {
    const server = await start({ rates: { reset: 1 } });
    const err = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
      const req = request(`${server.url}/tokenize`, { method: 'POST' }, (res) => reject(new Error(`got an answer: ${res.statusCode}`)));
      req.on('error', resolve);
      req.end(JSON.stringify(TOKENIZE));
    });
    expect(['ECONNRESET', 'EPIPE']).toContain(err.code);
    expect(server.stats().faultsInjected.reset).toBe(1);
  });

  it('answers 503 Loading model on every route during the startup delay, then serves', async () => {
    const server = await start({ startupDelayMs: 300 });
    for (const path of ['/health', '/v1/models', '/version']) {
      const r = await fetch(server.url + path);
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({ error: { code: 503, message: 'Loading model', type: 'unavailable_error' } });
    }
    expect(await outcome(server.url)).toBe(503);
    await until(async () => (await fetch(`${server.url}/health`)).status === 200, 2000);
    expect(await outcome(server.url)).toBe(200);
    expect(server.stats().loadingRejected).toBeGreaterThanOrEqual(4);
  });

  it('kill() looks like a crashed process: open requests fail, new connections are refused', async () => {
    const server = await startSimServer({ world: f.world, faults: { latencyMs: [2000, 2000] } });
    const slow = fetch(`${server.url}/tokenize`, { method: 'POST', body: JSON.stringify(TOKENIZE) });
    await until(() => server.stats().inFlight === 1);
    server.kill();
    await expect(slow).rejects.toThrow();
    const refused = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const req = request(`${server.url}/health`, () => resolve(new Error('answered')));
      req.on('error', resolve);
      req.end();
    });
    expect(refused.code).toBe('ECONNREFUSED');
    await server.close();
  });
});
