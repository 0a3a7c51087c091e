import { describe, expect, it } from 'vitest';
import { llama3Count } from '../../scenarios/tokens.ts';
import { CapabilityError, InvalidResponseError } from '../../engine/openai/index.ts';
import { ALICE, harness } from './helpers.ts';
import { BASE, mockLogprob, wordIds } from './mock.ts';

const h = harness();

describe('sample', () => {
  it('sends the chat body with the speaker prefill, in a fixed key order, with extraBody merged', async () => {
    const s = await h.server();
    const b = await h.connect([s], { extraBody: { top_k: 20, chat_template_kwargs: { x: 1 } }, apiKey: 'sekret' });
    s.reset();
    await b.sample({ ...ALICE, n: 2, seed: 7 });
    const [chat] = s.requests('POST /v1/chat/completions');
    expect(chat?.raw).toBe(
      JSON.stringify({
        model: BASE,
        messages: [...ALICE.messages, { role: 'assistant', content: 'Alice:' }],
        continue_final_message: true,
        add_generation_prompt: false,
        n: 2,
        temperature: 0.7,
        max_tokens: 100,
        seed: 7,
        top_k: 20,
        chat_template_kwargs: { x: 1 },
      }),
    );
    expect(chat?.headers.authorization).toBe('Bearer sekret');
  });

  it('rebuilds the text from the prefill and counts it with /tokenize, once per text', async () => {
    const s = await h.server();
    const b = await h.connect([s]);
    s.reset();
    const out = await b.sample({ ...ALICE, n: 2, seed: 7 });
    expect(out.map((c) => c.text)).toEqual([`Alice: said 7.0 to ${BASE}`, `Alice: said 7.1 to ${BASE}`]);
    expect(out.map((c) => c.tokens)).toEqual(out.map((c) => wordIds(c.text).length));
    expect(out.map((c) => c.finishReason)).toEqual(['stop', 'stop']);
    const tok = s.requests('POST /tokenize');
    expect(tok.map((r) => r.body)).toEqual(out.map((c) => ({ model: BASE, prompt: c.text, add_special_tokens: false })));
    // countTokens answers from the server's counts; unknown text falls back to the bundled tokenizer.
    expect(b.countTokens(out[0]!.text)).toBe(wordIds(out[0]!.text).length);
    expect(b.countTokens('never sampled, this text')).toBe(llama3Count('never sampled, this text'));
    await b.sample({ ...ALICE, n: 2, seed: 7 });
    expect(s.count('POST /tokenize')).toBe(2);
  });

  it('without prefill sends the messages alone and adds the name prefix itself; bundled tokens make no /tokenize call', async () => {
    const s = await h.server();
    const b = await h.connect([s], { speakerPrefill: false, tokenizer: 'bundled' });
    s.reset();
    s.script('POST /v1/chat/completions', { json: { choices: [{ index: 0, message: { content: 'Alice: yes' }, finish_reason: 'stop' }, { index: 1, message: { content: 'no' }, finish_reason: 'length' }] } });
    const out = await b.sample({ ...ALICE, n: 2 });
    expect(s.requests('POST /v1/chat/completions')[0]?.raw).toBe(
      JSON.stringify({ model: BASE, messages: ALICE.messages, n: 2, temperature: 0.7, max_tokens: 100, seed: 42 }),
    );
    expect(out).toEqual([
      { text: 'Alice: yes', tokens: llama3Count('Alice: yes'), finishReason: 'stop' },
      { text: 'Alice: no', tokens: llama3Count('Alice: no'), finishReason: 'length' },
    ]);
    expect(s.count('POST /tokenize')).toBe(0);
  });

  it('sends n requests of one with seeds seed + i when the server ignores n', async () => {
    const s = await h.server();
    s.honoursN = false;
    const b = await h.connect([s]);
    expect(b.info.capabilities.n).toBe(false);
    s.reset();
    const out = await b.sample({ ...ALICE, n: 3, seed: 0xffffffff });
    const chats = s.requests('POST /v1/chat/completions');
    expect(chats.map((r) => [r.body.n, r.body.seed]).sort((a, c) => a[1] - c[1])).toEqual([[1, 0], [1, 1], [1, 0xffffffff]]);
    expect(out.map((c) => c.text)).toEqual([`Alice: said 4294967295.0 to ${BASE}`, `Alice: said 0.0 to ${BASE}`, `Alice: said 1.0 to ${BASE}`]);
  });

  it('samples from an adapter by name', async () => {
    const s = await h.server();
    s.loaded.add('static-lora');
    const b = await h.connect([s]);
    const [c] = await b.sample({ ...ALICE, adapter: 'static-lora' });
    expect(c?.text).toBe('Alice: said 42.0 to static-lora');
  });

  it('rejects a response without the fields it needs, naming endpoint, path and field', async () => {
    const s = await h.server();
    const b = await h.connect([s]);
    s.script('POST /v1/chat/completions', { json: { choices: [{ index: 0, finish_reason: 'stop' }] } });
    const err = await b.sample(ALICE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidResponseError);
    expect(String((err as Error).message)).toContain(s.url);
    expect(String((err as Error).message)).toContain('/v1/chat/completions');
    expect(String((err as Error).message)).toContain('choices[0].message is missing');
  });

  it('aborts on the signal, with its reason, and does not retry', async () => {
    const s = await h.server();
    const b = await h.connect([s], { requestTimeoutMs: 2000 });
    s.reset();
    s.script('POST /v1/chat/completions', { hang: true });
    const ac = new AbortController();
    const p = b.sample(ALICE, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('rollout cancelled')), 30);
    await expect(p).rejects.toThrow('rollout cancelled');
    await new Promise((r) => setTimeout(r, 30));
    expect(s.count('POST /v1/chat/completions')).toBe(1);
    expect(b.usage().endpoints[0]?.failures).toBe(0);
  });

  it('counts usage from the responses', async () => {
    const s = await h.server();
    const b = await h.connect([s]);
    await b.sample({ ...ALICE, n: 2 });
    await b.sample(ALICE);
    const u = b.usage().endpoints[0]!;
    expect(u.promptTokens).toBe(20);
    expect(u.completionTokens).toBe(9);
    expect(u.requests).toBe(2 + 2); // two chats; two distinct texts counted (the second chat repeats one)
  });
});

describe('logLikelihood', () => {
  it('tokenizes prefix and text, echoes the ids and sums the text span', async () => {
    const s = await h.server();
    const b = await h.connect([s], { extraBody: { top_k: 1 } });
    s.reset();
    const messages = [{ role: 'system' as const, content: 'You are Bob.' }];
    const text = 'Alice: the answer is Paris';
    const ll = await b.logLikelihood(messages, text, undefined);
    const P = [1, 2, ...wordIds('You are Bob.'), 3];
    const R = wordIds(text);
    const expected = R.reduce((sum, id, j) => sum + mockLogprob(id, P.length + j), 0);
    expect(ll.tokens).toBe(R.length);
    expect(ll.logprob).toBeCloseTo(expected, 12);
    const tok = s.requests('POST /tokenize').map((r) => r.body);
    expect(tok).toContainEqual({ model: BASE, messages, add_generation_prompt: true });
    expect(tok).toContainEqual({ model: BASE, prompt: text, add_special_tokens: false });
    expect(s.requests('POST /v1/completions')[0]?.raw).toBe(
      JSON.stringify({ model: BASE, prompt: [...P, ...R], max_tokens: 1, echo: true, logprobs: 1, temperature: 0, top_k: 1 }),
    );
    expect(b.countTokens(text)).toBe(R.length);
  });

  it('with no messages, the prefix is the BOS token of an empty prompt', async () => {
    const s = await h.server();
    const b = await h.connect([s]);
    s.reset();
    s.loaded.add('lora-a');
    const ll = await b.logLikelihood([], 'hello there', 'lora-a');
    expect(s.requests('POST /tokenize').map((r) => r.body)).toContainEqual({ model: BASE, prompt: '', add_special_tokens: true });
    const comp = s.requests('POST /v1/completions')[0]!.body;
    expect(comp.model).toBe('lora-a');
    expect(comp.prompt).toEqual([1, ...wordIds('hello there')]);
    expect(ll.logprob).toBeCloseTo(mockLogprob(wordIds('hello')[0]!, 1) + mockLogprob(wordIds('there')[0]!, 2), 12);
  });

  it('throws CapabilityError on a server without echo log-probabilities', async () => {
    const s = await h.server();
    s.override('POST /v1/completions', () => ({ json: { choices: [{ index: 0, text: 'x', logprobs: null, finish_reason: 'length' }] } }));
    const b = await h.connect([s]);
    expect(b.info.capabilities.echoLogprobs).toBe(false);
    await expect(b.logLikelihood([], 'hello')).rejects.toBeInstanceOf(CapabilityError);
  });
});
