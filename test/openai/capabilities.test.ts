import { describe, expect, it } from 'vitest';
import { CapabilityError, EndpointsDownError } from '../../engine/openai/index.ts';
import { ALICE, eventually, harness } from './helpers.ts';
import { BASE } from './mock.ts';

const h = harness();
const CHAT = 'POST /v1/chat/completions';
const notFound = () => ({ status: 404, json: { detail: 'Not Found' } });

describe('connect and capabilities', () => {
  it('finds everything on a vLLM-like server', async () => {
    const s = await h.server();
    const b = await h.connect([s]);
    expect(b.name).toBe(`openai(${s.url})`);
    expect(b.info).toEqual({
      model: BASE,
      endpoints: [{ url: s.url, version: '0.9-mock' }],
      capabilities: { n: true, seed: true, tokenize: true, echoLogprobs: true, runtimeLora: true },
    });
    const probe = s.requests(CHAT)[0]!.body;
    expect(probe).toMatchObject({ n: 2, max_tokens: 8, temperature: 1, seed: 1, continue_final_message: true, add_generation_prompt: false });
    expect(probe.messages.at(-1)).toEqual({ role: 'assistant', content: 'A:' });
    expect(s.requests('POST /v1/unload_lora_adapter')[0]?.body).toEqual({ lora_name: 'dits-capability-probe' });
  });

  it('finds what a llama.cpp-like server lacks', async () => {
    const s = await h.server();
    s.honoursN = false;
    let calls = 0;
    s.override(CHAT, (r) => ({ json: { choices: [{ index: 0, message: { content: `random ${calls++} ${r.body.seed}` }, finish_reason: 'stop' }] } }));
    s.override('POST /v1/completions', () => ({ json: { choices: [{ index: 0, text: 'x', logprobs: null, finish_reason: 'length' }] } }));
    s.override('POST /v1/unload_lora_adapter', notFound);
    s.override('GET /version', notFound);
    const b = await h.connect([s, await h.server()], { model: 'my-model' });
    expect(b.name).toBe('openai(2 endpoints)');
    expect(b.info.model).toBe('my-model');
    expect(b.info.endpoints[0]?.version).toBeNull();
    expect(b.info.capabilities).toEqual({ n: false, seed: false, tokenize: true, echoLogprobs: false, runtimeLora: false });
    expect(() => b.registerAdapter('x', '/x')).toThrow(CapabilityError);
    await expect(b.logLikelihood([], 'hi')).rejects.toBeInstanceOf(CapabilityError);
  });

  it('treats n > 1 refused with a 400 as no n, and a 404 naming the adapter as runtime LoRA', async () => {
    const s = await h.server();
    s.script(CHAT, { status: 400, json: { error: { message: 'n > 1 is not supported' } } });
    s.override('POST /v1/unload_lora_adapter', () => ({ status: 404, json: { error: { message: "The lora adapter 'dits-capability-probe' cannot be found." } } }));
    const b = await h.connect([s]);
    expect(b.info.capabilities.n).toBe(false);
    expect(b.info.capabilities.seed).toBe(true);
    expect(b.info.capabilities.runtimeLora).toBe(true);
    expect(s.requests(CHAT).map((r) => r.body.n)).toEqual([2, 1, 1]);
  });

  it('on an Ollama-like server (no /health, no /tokenize) needs the bundled tokenizer', async () => {
    const s = await h.server();
    s.override('GET /health', notFound);
    s.override('POST /tokenize', notFound);
    await expect(h.connect([s])).rejects.toThrow(/no \/tokenize.*--tokenizer bundled/);
    const b = await h.connect([s], { tokenizer: 'bundled' });
    expect(b.info.capabilities.tokenize).toBe(false);
    expect((await b.sample(ALICE))[0]?.tokens).toBeGreaterThan(0);
  });

  it('says why a chat completion is refused at connect', async () => {
    const s = await h.server();
    s.override(CHAT, () => ({ status: 400, json: { error: { message: 'continue_final_message is not supported' } } }));
    await expect(h.connect([s])).rejects.toThrow(/continue_final_message is not supported.*--no-speaker-prefill/);
  });

  it('waits for a loading server (503), logging, then connects', async () => {
    const s = await h.server();
    let n = 0;
    s.override('GET /health', () => (n++ < 3 ? { status: 503, json: { error: { code: 503, message: 'Loading model', type: 'unavailable_error' } } } : undefined));
    const b = await h.connect([s], { downTimeoutMs: 2000 });
    expect(b.info.model).toBe(BASE);
    expect(h.logs.filter((l) => l.startsWith(`waiting for ${s.url}`))).toEqual([`waiting for ${s.url}: /health: 503 Loading model`]);
  });

  it('gives up with EndpointsDownError when no endpoint gets ready within downTimeoutMs', async () => {
    const s = await h.server();
    s.override('GET /health', () => ({ status: 503, text: 'Loading' }));
    const t0 = Date.now();
    const err = await h.connect([s], { downTimeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndpointsDownError);
    expect((err as Error).message).toContain(`${s.url}: /health: 503 Loading`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
  });

  it('starts with the ready endpoints and lets a late one join', async () => {
    const [s1, s2] = [await h.server(), await h.server()];
    let ready = false;
    s2.override('GET /health', () => (ready ? undefined : { status: 503, text: 'Loading' }));
    const b = await h.connect([s1, s2], { tokenizer: 'bundled' });
    expect(b.info.endpoints[1]?.version).toBeNull();
    expect(h.logs.join('\n')).toMatch(new RegExp(`endpoint ${s2.url}: not ready at start-up`));
    await b.sample(ALICE);
    expect(s2.count(CHAT)).toBe(0);
    ready = true;
    await eventually(() => b.info.endpoints[1]?.version === '0.9-mock');
    await Promise.all([1, 2, 3, 4].map((seed) => b.sample({ ...ALICE, seed })));
    expect(s2.count(CHAT)).toBeGreaterThan(0);
  });
});
