import { describe, expect, it } from 'vitest';
import { RequestFailedError, type OpenAIBackend } from '../../engine/openai/index.ts';
import { parseRetryAfter } from '../../engine/openai/http.ts';
import { backoffDelay } from '../../engine/openai/retry.ts';
import { ALICE, harness } from './helpers.ts';

const h = harness();
const CHAT = 'POST /v1/chat/completions';
const oneChat = (b: OpenAIBackend) => b.sample({ ...ALICE, n: 1 });

describe('retries', () => {
  it('retries a 429 no sooner than its Retry-After', async () => {
    const s = await h.server();
    const b = await h.connect([s]);
    s.reset();
    s.script(CHAT, { status: 429, headers: { 'retry-after': '0.15' }, json: { error: { message: 'Model is overloaded', type: 'overloaded', code: 429 } } });
    const t0 = Date.now();
    const [c] = await oneChat(b);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(145);
    expect(c?.text).toContain('said 42.0');
    expect(s.count(CHAT)).toBe(2);
    const u = b.usage().endpoints[0]!;
    expect([u.retries, u.failures]).toEqual([1, 1]);
    expect(u.requests).toBe(2); // one chat (counted once) and one /tokenize
  });

  it('retries a 500, a connection reset and a timeout', async () => {
    const s = await h.server();
    const b = await h.connect([s], { requestTimeoutMs: 60, failuresBeforeEjection: 10 });
    s.reset();
    s.script(CHAT, { status: 500, json: { object: 'error', message: 'boom' } }, { destroy: true }, { hang: true });
    const [c] = await oneChat(b);
    expect(c?.text).toContain('said 42.0');
    expect(s.count(CHAT)).toBe(4);
    expect(b.usage().endpoints[0]?.retries).toBe(3);
  });

  it('times out a response whose body never finishes', async () => {
    const s = await h.server();
    const b = await h.connect([s], { requestTimeoutMs: 60, maxRetries: 0 });
    s.override(CHAT, () => ({ stall: true }));
    // The body never ends: only the deadline can end this call (else the test times out).
    const err = await oneChat(b).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestFailedError);
    expect((err as Error).message).toMatch(/within 60 ms/);
  });

  it('times out a server that never sends headers', async () => {
    const s = await h.server();
    const b = await h.connect([s], { requestTimeoutMs: 60, maxRetries: 1, failuresBeforeEjection: 10 });
    s.reset();
    s.override(CHAT, () => ({ hang: true }));
    const err = (await oneChat(b).catch((e: unknown) => e)) as RequestFailedError;
    expect(err).toBeInstanceOf(RequestFailedError);
    expect([err.status, err.attempts]).toEqual([null, 2]);
    expect(s.count(CHAT)).toBe(2);
  });

  it('does not retry a 400', async () => {
    const s = await h.server();
    const b = await h.connect([s]);
    s.reset();
    s.script(CHAT, { status: 400, json: { error: { message: 'max_tokens is too large', type: 'BadRequestError', code: 400 } } });
    const err = (await oneChat(b).catch((e: unknown) => e)) as RequestFailedError;
    expect(err).toBeInstanceOf(RequestFailedError);
    expect(err.status).toBe(400);
    expect(err.attempts).toBe(1);
    expect(err.message).toContain('max_tokens is too large');
    expect(err.message).toContain(s.url);
    expect(s.count(CHAT)).toBe(1);
  });

  it('gives up after maxRetries retries with RequestFailedError', async () => {
    const s = await h.server();
    const b = await h.connect([s], { maxRetries: 2, failuresBeforeEjection: 100 });
    s.reset();
    s.override(CHAT, () => ({ status: 503, json: { error: { message: 'busy' } } }));
    const err = (await oneChat(b).catch((e: unknown) => e)) as RequestFailedError;
    expect(err).toBeInstanceOf(RequestFailedError);
    expect([err.status, err.attempts, err.method, err.path, err.endpoint]).toEqual([503, 3, 'POST', '/v1/chat/completions', s.url]);
    expect(s.count(CHAT)).toBe(3);
    const u = b.usage().endpoints[0]!;
    expect([u.requests, u.retries, u.failures]).toEqual([0, 2, 3]);
  });
});

describe('backoff and Retry-After', () => {
  it('parses seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('draws full jitter under a capped exponential, never below Retry-After', () => {
    const b = { baseMs: 100, maxMs: 1000 };
    for (let i = 0; i < 200; i++) {
      expect(backoffDelay(0, b)).toBeLessThanOrEqual(100);
      expect(backoffDelay(3, b)).toBeLessThanOrEqual(800);
      expect(backoffDelay(10, b)).toBeLessThanOrEqual(1000);
      expect(backoffDelay(0, b, 400)).toBeGreaterThanOrEqual(400);
    }
  });
});
