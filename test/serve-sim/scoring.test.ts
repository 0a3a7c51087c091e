import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../engine/base/model-backend.ts';
import { SimBackend } from '../../engine/sim/backend.ts';
import { countTokens } from '../../engine/sim/tokcount.ts';
import { EOT_ID } from '../../serve-sim/chat-template.ts';
import { startSimServer, type SimServer } from '../../serve-sim/server.ts';
import { llama3Encode } from '../../scenarios/tokens.ts';
import { debateFixture, dialogueTurns, ieFixture, post } from './helpers.ts';

const ie = ieFixture(8);
const debate = debateFixture(8);
let ieServer: SimServer;
let debateServer: SimServer;

beforeAll(async () => {
  ieServer = await startSimServer({ world: ie.world });
  debateServer = await startSimServer({ world: debate.world });
});
afterAll(async () => {
  await ieServer.close();
  await debateServer.close();
});

/** The client's scoring recipe of docs/http-protocol.md, step by step. */
async function score(url: string, messages: ChatMessage[], text: string, model = 'dits-sim'): Promise<{ logprob: number; tokens: number; body: any }> {
  const p =
    messages.length > 0
      ? await post(url, '/tokenize', { model, messages, add_generation_prompt: true })
      : await post(url, '/tokenize', { model, prompt: '', add_special_tokens: true });
  const r = await post(url, '/tokenize', { model, prompt: text, add_special_tokens: false });
  expect(p.status).toBe(200);
  expect(r.status).toBe(200);
  const P: number[] = p.body.tokens;
  const R: number[] = r.body.tokens;
  const c = await post(url, '/v1/completions', { model, prompt: [...P, ...R], max_tokens: 1, echo: true, logprobs: 1, temperature: 0 });
  expect(c.status).toBe(200);
  const lps: (number | null)[] = c.body.choices[0].logprobs.token_logprobs;
  expect(lps).toHaveLength(P.length + R.length + 1);
  expect(lps[0]).toBeNull();
  let logprob = 0;
  for (let i = P.length; i < P.length + R.length; i++) logprob += lps[i] as number;
  return { logprob, tokens: R.length, body: c.body };
}

describe('scoring over /tokenize and /v1/completions', () => {
  it('reproduces logLikelihoodSync exactly, with the messages and with none', async () => {
    let n = 0;
    for (const [f, server] of [
      [ie, ieServer],
      [debate, debateServer],
    ] as const) {
      const backend = new SimBackend(f.world);
      for (const i of [0, 1, 2]) {
        for (const turn of dialogueTurns(f, i, 4)) {
          const want = backend.logLikelihoodSync(turn.messages, turn.text);
          expect(want.logprob).toBeLessThan(0);
          const got = await score(server.url, turn.messages, turn.text);
          expect(got.logprob).toBe(want.logprob);
          expect(got.tokens).toBe(countTokens(turn.text));
          const bare = await score(server.url, [], turn.text);
          expect(bare.logprob).toBe(backend.logLikelihoodSync([], turn.text).logprob);
          n++;
        }
      }
    }
    expect(n).toBe(24);
  });

  it('answers in vLLM shape: tokens, top_logprobs, text_offset and one generated <|eot_id|>', async () => {
    const turn = dialogueTurns(ie, 5, 2)[1]!;
    const { body } = await score(ieServer.url, turn.messages, turn.text);
    const choice = body.choices[0];
    const n = choice.logprobs.token_logprobs.length;
    expect(choice.logprobs.tokens).toHaveLength(n);
    expect(choice.logprobs.tokens[0]).toBe('<|begin_of_text|>');
    expect(choice.logprobs.tokens[n - 1]).toBe('<|eot_id|>');
    expect(choice.logprobs.token_logprobs[n - 1]).toBe(0);
    expect(choice.logprobs.top_logprobs[0]).toBeNull();
    expect(choice.logprobs.top_logprobs[1]).toEqual({ [choice.logprobs.tokens[1]]: 0 });
    expect(choice.logprobs.text_offset[0]).toBe(0);
    expect(choice.logprobs.text_offset[1]).toBe('<|begin_of_text|>'.length);
    expect(choice.text.endsWith(`${turn.text}<|eot_id|>`)).toBe(true);
    expect(choice.finish_reason).toBe('stop');
    expect(body.usage).toEqual({ prompt_tokens: n - 1, completion_tokens: 1, total_tokens: n });
    // Exactly one position carries the log-likelihood: the scored text's first token.
    expect(choice.logprobs.token_logprobs.filter((x: number | null) => x !== 0 && x !== null)).toHaveLength(1);
  });

  it('scores an empty text as nothing, and takes a string prompt (BOS + text)', async () => {
    const turn = dialogueTurns(ie, 0, 1)[0]!;
    const empty = await score(ieServer.url, turn.messages, '');
    expect(empty.logprob).toBe(0);
    expect(empty.tokens).toBe(0);
    const c = await post(ieServer.url, '/v1/completions', { prompt: turn.text, max_tokens: 1, echo: true, logprobs: 0 });
    expect(c.status).toBe(200);
    expect(c.body.choices[0].logprobs.token_logprobs[1]).toBe(new SimBackend(ie.world).logLikelihoodSync([], turn.text).logprob);
  });

  it('refuses anything but scoring', async () => {
    const cases: [unknown, RegExp][] = [
      [{ prompt: [128000, 9906], max_tokens: 5 }, /scoring only/],
      [{ prompt: [128000, 9906], echo: true }, /scoring only/],
      [{ prompt: [128000, 9906], echo: false, logprobs: 1 }, /scoring only/],
      [{ prompt: [128000, -1], echo: true, logprobs: 1 }, /prompt: -1 is not a token id/],
      [{ prompt: [9906], echo: true, logprobs: 1 }, /begin_of_text/],
      [{ prompt: { a: 1 }, echo: true, logprobs: 1 }, /prompt/],
    ];
    for (const [body, message] of cases) {
      const r = await post(ieServer.url, '/v1/completions', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message).toMatch(message);
    }
  });
});

describe('/tokenize and /detokenize', () => {
  it('counts equal countTokens, with BOS only when add_special_tokens', async () => {
    for (const turn of dialogueTurns(ie, 6, 3)) {
      const raw = await post(ieServer.url, '/tokenize', { model: 'dits-sim', prompt: turn.text, add_special_tokens: false });
      expect(raw.body.count).toBe(countTokens(turn.text));
      expect(raw.body.tokens).toEqual(llama3Encode(turn.text));
      expect(raw.body.max_model_len).toBe(131072);
      const withBos = await post(ieServer.url, '/tokenize', { model: 'dits-sim', prompt: turn.text });
      expect(withBos.body.tokens).toEqual([128000, ...llama3Encode(turn.text)]);
      const back = await post(ieServer.url, '/detokenize', { model: 'dits-sim', tokens: raw.body.tokens });
      expect(back.body).toEqual({ prompt: turn.text });
    }
  });

  it('templates messages: generation header, open last message, or neither', async () => {
    const turn = dialogueTurns(ie, 7, 2)[1]!;
    const withHeader = await post(ieServer.url, '/tokenize', { messages: turn.messages, add_generation_prompt: true });
    const closed = await post(ieServer.url, '/tokenize', { messages: turn.messages, add_generation_prompt: false });
    const open = await post(ieServer.url, '/tokenize', { messages: turn.messages, add_generation_prompt: false, continue_final_message: true });
    expect(withHeader.body.tokens.slice(0, closed.body.count)).toEqual(closed.body.tokens);
    expect(withHeader.body.count).toBe(closed.body.count + 4); // <|start_header_id|> assistant <|end_header_id|> \n\n
    expect(closed.body.tokens.at(-1)).toBe(EOT_ID);
    expect(open.body.tokens).toEqual(closed.body.tokens.slice(0, -1));
    expect(withHeader.body.tokens[0]).toBe(128000);
    expect(withHeader.body.tokens[1]).toBe(128000 + 6);
    const bad = await post(ieServer.url, '/tokenize', { messages: [{ role: 'system' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/messages\[0\]\.content/);
    expect((await post(ieServer.url, '/detokenize', { tokens: [1, 'a'] })).status).toBe(400);
    expect((await post(ieServer.url, '/tokenize', { model: 'other', prompt: 'x' })).status).toBe(404);
  });
});
