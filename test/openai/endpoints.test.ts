import { describe, expect, it } from 'vitest';
import { Endpoint, EndpointPool } from '../../engine/openai/endpoints.ts';
import { EndpointsDownError } from '../../engine/openai/index.ts';
import { ALICE, eventually, harness } from './helpers.ts';
import type { MockServer } from './mock.ts';
import type { OpenAIBackend } from '../../engine/openai/index.ts';

const h = harness();
const CHAT = 'POST /v1/chat/completions';

function pool(caps: number[], log: string[] = []): { pool: EndpointPool; eps: Endpoint[] } {
  const eps = caps.map((c, i) => new Endpoint(`http://127.0.0.1:${9 + i}`, c, i));
  const p = new EndpointPool(eps, { failuresBeforeEjection: 2, probeIntervalMs: 1e6, downTimeoutMs: 50, probe: async () => 'down', log: (l) => log.push(l) });
  return { pool: p, eps };
}

describe('endpoint pool (no network)', () => {
  it('takes the least-loaded endpoint, ties in configuration order, within each cap', () => {
    const { pool: p, eps } = pool([2, 1, 2]);
    const got = Array.from({ length: 5 }, () => p.tryAcquire()?.index);
    expect(got).toEqual([0, 1, 2, 0, 2]);
    expect(p.tryAcquire()).toBeUndefined();
    expect(eps.map((e) => e.inFlight)).toEqual([2, 1, 2]);
    p.close();
  });

  it('serves waiters first come first served as slots free; an aborted waiter is skipped', async () => {
    const { pool: p, eps } = pool([1]);
    const ep = p.tryAcquire() as Endpoint;
    const order: string[] = [];
    const ac = new AbortController();
    const a = p.wait().then(() => order.push('a'));
    const b = p.wait(ac.signal).then(
      () => order.push('b'),
      () => order.push('b aborted'),
    );
    const c = p.wait().then(() => order.push('c'));
    expect(p.tryAcquire()).toBeUndefined(); // earlier requests wait: no overtaking
    ac.abort();
    await b;
    p.release(ep);
    await a;
    p.release(eps[0] as Endpoint);
    await c;
    expect(order).toEqual(['b aborted', 'a', 'c']);
    p.close();
  });

  it('ejects after consecutive failures (not 429-style ones), and fails waiters when all stay out', async () => {
    const log: string[] = [];
    const { pool: p, eps } = pool([1, 1], log);
    const [e0, e1] = eps as [Endpoint, Endpoint];
    p.failed(e0, 'boom', true);
    p.succeeded(e0);
    p.failed(e0, 'boom', true);
    p.failed(e0, 'slow down', false);
    expect(e0.out).toBe(false);
    p.failed(e0, 'boom', true);
    expect(e0.out).toBe(true);
    expect(log.join('\n')).toMatch(/taken out after 2 consecutive failures/);
    expect(p.tryAcquire()).toBe(e1);
    p.release(e1);
    p.failed(e1, 'refused', true);
    p.failed(e1, 'refused', true);
    const t0 = Date.now();
    const err = await p.wait().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndpointsDownError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect((err as Error).message).toContain('http://127.0.0.1:10: refused');
    // While still all out, requests fail at once; one endpoint back lets them through.
    await expect(p.wait()).rejects.toBeInstanceOf(EndpointsDownError);
    p.bringIn(e1, 'back');
    await expect(p.wait()).resolves.toBe(e1);
    p.close();
  });
});

async function sampleSeeds(b: OpenAIBackend, seeds: number[]): Promise<string[]> {
  const out = await Promise.all(seeds.map((seed) => b.sample({ ...ALICE, seed })));
  return out.map((c) => c[0]!.text);
}
const textOf = (seed: number) => `Alice: said ${seed}.0 to base-model`;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Makes `s` fail like a crashed server: 503 on /health, 500 on chat. */
function breakServer(s: MockServer, broken: boolean): void {
  s.override('GET /health', broken ? () => ({ status: 503, json: { error: { message: 'Loading model' } } }) : undefined);
  s.override(CHAT, broken ? () => ({ status: 500, json: { object: 'error', message: 'engine dead' } }) : undefined);
}

describe('routing over HTTP', () => {
  it('never exceeds an endpoint cap, fills the least loaded first, and serves waiters in order', async () => {
    const [s1, s2] = [await h.server(), await h.server()];
    const b = await h.connect([s1, s2], { tokenizer: 'bundled' }, [3, 2]);
    for (const s of [s1, s2]) {
      s.reset();
      s.chatDelayMs = 40;
    }
    const arrivals: number[] = [];
    for (const s of [s1, s2]) s.override(CHAT, (r) => void arrivals.push(r.body.seed));
    const seeds = range(23);
    expect(await sampleSeeds(b, seeds)).toEqual(seeds.map(textOf));
    expect([s1.peak, s2.peak]).toEqual([3, 2]);
    expect(s1.count(CHAT) + s2.count(CHAT)).toBe(23);
    expect(s1.requests(CHAT).slice(0, 3).map((r) => r.body.seed)).toEqual([0, 2, 4]);
    expect(s2.requests(CHAT).slice(0, 2).map((r) => r.body.seed)).toEqual([1, 3]);
    expect(arrivals.slice(0, 5).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4]);
    expect(arrivals.slice(5, 10).sort((x, y) => x - y)).toEqual([5, 6, 7, 8, 9]);
    const u = b.usage().endpoints;
    expect(u[0]!.requests + u[1]!.requests).toBe(23);
  });

  it('takes a failing endpoint out, fails over without losing a request, and probes it back in', async () => {
    const [s1, s2] = [await h.server(), await h.server()];
    const b = await h.connect([s1, s2], { tokenizer: 'bundled', failuresBeforeEjection: 2, maxRetries: 4 }, [4, 4]);
    s1.reset();
    breakServer(s1, true);
    s2.chatDelayMs = 10;
    const seeds = range(12);
    expect(await sampleSeeds(b, seeds)).toEqual(seeds.map(textOf));
    expect(h.logs.join('\n')).toMatch(new RegExp(`endpoint ${s1.url}: taken out after 2 consecutive failures`));
    let u = b.usage().endpoints;
    expect(u[0]!.requests).toBe(0);
    expect(u[1]!.requests).toBe(12);
    const failedOnS1 = s1.count(CHAT);
    expect(failedOnS1).toBeGreaterThanOrEqual(2);
    expect(u[0]!.failures).toBe(failedOnS1);
    // While out, s1 gets probes, not requests.
    await sampleSeeds(b, [100, 101]);
    expect(s1.count(CHAT)).toBe(failedOnS1);
    // Probes come on the prober's timer, not with the requests: on a loaded machine the second may come later.
    await eventually(() => s1.count('GET /health') > 1);
    expect(s1.count(CHAT)).toBe(failedOnS1);
    breakServer(s1, false);
    await eventually(() => h.logs.some((l) => l === `endpoint ${s1.url}: answers again; back in service`));
    s1.reset();
    await sampleSeeds(b, range(6).map((i) => 200 + i));
    expect(s1.count(CHAT)).toBeGreaterThan(0);
    u = b.usage().endpoints;
    expect(u[0]!.requests + u[1]!.requests).toBe(12 + 2 + 6);
  });

  it('fails with EndpointsDownError when every endpoint stays out for downTimeoutMs, and recovers when one returns', async () => {
    const s = await h.server();
    const b = await h.connect([s], { tokenizer: 'bundled', maxRetries: 50, downTimeoutMs: 300, failuresBeforeEjection: 2 });
    breakServer(s, true);
    const t0 = Date.now();
    const errs = await Promise.all([b.sample(ALICE), b.sample({ ...ALICE, seed: 1 })].map((p) => p.catch((e: unknown) => e)));
    const took = Date.now() - t0;
    for (const e of errs) {
      expect(e).toBeInstanceOf(EndpointsDownError);
      expect((e as Error).message).toContain(`${s.url}: `);
    }
    // It waited out the down timeout before giving up (a lower bound only: a slow machine waits longer).
    expect(took).toBeGreaterThanOrEqual(295);
    // Still down: fails at once, without sending the request to the dead endpoint again.
    const sent = s.count(CHAT);
    await expect(b.sample(ALICE)).rejects.toBeInstanceOf(EndpointsDownError);
    expect(s.count(CHAT)).toBe(sent);
    breakServer(s, false);
    await eventually(() => h.logs.some((l) => l.endsWith('back in service')));
    expect((await b.sample(ALICE))[0]?.text).toBe(textOf(42));
  });

  it('treats a refused connection as a failure and the endpoint as down', async () => {
    const s = await h.server();
    const b = await h.connect([s], { tokenizer: 'bundled', maxRetries: 50, downTimeoutMs: 100, failuresBeforeEjection: 2 });
    await s.close();
    const err = await b.sample(ALICE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndpointsDownError);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
  });
});
