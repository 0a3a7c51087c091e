import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimBackend } from '../../engine/sim/backend.ts';
import { countTokens } from '../../engine/sim/tokcount.ts';
import { applyChatTemplate } from '../../serve-sim/chat-template.ts';
import { startSimServer, type SimServer } from '../../serve-sim/server.ts';
import { debateFixture, dialogueTurns, ieFixture, post } from './helpers.ts';

const ie = ieFixture(8);
const debate = debateFixture(8);
let ieServer: SimServer;
let debateServer: SimServer;

beforeAll(async () => {
  ieServer = await startSimServer({ world: ie.world });
  debateServer = await startSimServer({ world: debate.world, modelName: 'base-model' });
});
afterAll(async () => {
  await ieServer.close();
  await debateServer.close();
});

describe('POST /v1/chat/completions', () => {
  it('with the speaker prefill: prefix + content is the in-process sample, byte for byte, with its finish reason', async () => {
    let checked = 0;
    for (const [f, server, model] of [
      [ie, ieServer, 'dits-sim'],
      [debate, debateServer, 'base-model'],
    ] as const) {
      const backend = new SimBackend(f.world);
      for (const i of [0, 1, 2]) {
        for (const turn of dialogueTurns(f, i, 4)) {
          for (const temperature of [0.7, 0]) {
            const seed = 77 + i;
            const messages = [...turn.messages, { role: 'assistant', content: `${turn.speaker}:` }];
            const r = await post(server.url, '/v1/chat/completions', { model, messages, continue_final_message: true, add_generation_prompt: false, n: 3, temperature, max_tokens: 2000, seed });
            expect(r.status).toBe(200);
            const want = backend.sampleSync({ messages: turn.messages, speaker: turn.speaker, n: 3, temperature, maxTokens: 2000, seed });
            expect(r.body.choices.map((c: { message: { content: string } }) => `${turn.speaker}:${c.message.content}`)).toEqual(want.map((c) => c.text));
            expect(r.body.choices.map((c: { finish_reason: string }) => c.finish_reason)).toEqual(want.map((c) => c.finishReason));
            expect(r.body.choices.map((c: { index: number }) => c.index)).toEqual([0, 1, 2]);
            expect(r.body.object).toBe('chat.completion');
            expect(r.body.model).toBe(model);
            const completion = r.body.choices.reduce((s: number, c: { message: { content: string } }) => s + countTokens(c.message.content), 0);
            expect(r.body.usage).toEqual({
              prompt_tokens: countTokens(applyChatTemplate(messages as never, { continueFinalMessage: true })),
              completion_tokens: completion,
              total_tokens: r.body.usage.prompt_tokens + completion,
            });
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(48);
  });

  it('reports length when max_tokens cuts the utterance, as the backend does', async () => {
    const turn = dialogueTurns(ie, 3, 1)[0]!;
    const backend = new SimBackend(ie.world);
    const want = backend.sampleSync({ messages: turn.messages, speaker: turn.speaker, n: 2, temperature: 1, maxTokens: 12, seed: 9 });
    expect(want.map((c) => c.finishReason)).toContain('length');
    const r = await post(ieServer.url, '/v1/chat/completions', {
      messages: [...turn.messages, { role: 'assistant', content: 'Alice:' }],
      continue_final_message: true,
      n: 2,
      temperature: 1,
      max_tokens: 12,
      seed: 9,
    });
    expect(r.body.choices.map((c: { message: { content: string } }) => `Alice:${c.message.content}`)).toEqual(want.map((c) => c.text));
    expect(r.body.choices.map((c: { finish_reason: string }) => c.finish_reason)).toEqual(want.map((c) => c.finishReason));
  });

  it('without the prefill: the speaker is the agent named first in the system prompt, and the content is the whole utterance', async () => {
    const backend = new SimBackend(ie.world);
    const turns = dialogueTurns(ie, 4, 2);
    for (const turn of turns) {
      const r = await post(ieServer.url, '/v1/chat/completions', { model: 'dits-sim', messages: turn.messages, n: 2, temperature: 0.7, seed: 5 });
      expect(r.status).toBe(200);
      const want = backend.sampleSync({ messages: turn.messages, speaker: turn.speaker, n: 2, temperature: 0.7, maxTokens: 4096, seed: 5 });
      expect(r.body.choices.map((c: { message: { content: string } }) => c.message.content)).toEqual(want.map((c) => c.text));
      expect(r.body.choices[0].message.content.startsWith(`${turn.speaker}:`)).toBe(true);
    }
    // Defaults: n 1, temperature 1, seed 0.
    const turn = turns[0]!;
    const r = await post(ieServer.url, '/v1/chat/completions', { messages: turn.messages });
    expect(r.body.choices.map((c: { message: { content: string } }) => c.message.content)).toEqual(
      backend.sampleSync({ messages: turn.messages, speaker: turn.speaker, n: 1, temperature: 1, maxTokens: 4096, seed: 0 }).map((c) => c.text),
    );
    // A system prompt that names no agent is answered by the first agent (a client's capability probe sends one).
    const anonymous = await post(ieServer.url, '/v1/chat/completions', { messages: [{ role: 'system', content: 'Reply with one short sentence.' }] });
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.choices[0].message.content.startsWith(`${ie.world.agents[0]!.name}:`)).toBe(true);
  });

  it('answers bad requests with 400 naming the field, and an unknown model with 404', async () => {
    const turn = dialogueTurns(ie, 0, 1)[0]!;
    const prefill = [...turn.messages, { role: 'assistant', content: 'Alice:' }];
    const cases: [unknown, number, RegExp][] = [
      [{ model: 'nope', messages: prefill, continue_final_message: true }, 404, /The model `nope` does not exist\./],
      [{ messages: 'hi' }, 400, /messages/],
      [{ messages: [] }, 400, /messages/],
      [{ messages: [{ role: 'robot', content: 'x' }] }, 400, /messages\[0\]\.role/],
      [{ messages: prefill, continue_final_message: true, n: 0 }, 400, /^n:/],
      [{ messages: prefill, continue_final_message: true, temperature: 'hot' }, 400, /temperature/],
      [{ messages: prefill, continue_final_message: true, max_tokens: 1.5 }, 400, /max_tokens/],
      [{ messages: prefill, continue_final_message: true, add_generation_prompt: true }, 400, /add_generation_prompt/],
      [{ messages: turn.messages, continue_final_message: true }, 400, /continue_final_message/],
      ['{not json', 400, /not JSON/],
      [[1, 2], 400, /JSON object/],
    ];
    for (const [body, status, message] of cases) {
      const r = await post(ieServer.url, '/v1/chat/completions', body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.body.error.code).toBe(status);
      expect(r.body.error.message).toMatch(message);
    }
  });

  it('serves /health, /version, /v1/models and 404 or 405 for other routes', async () => {
    const health = await fetch(`${ieServer.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(((await (await fetch(`${ieServer.url}/version`)).json()) as { version: string }).version).toMatch(/^serve-sim \d+\.\d+\.\d+/);
    expect(await (await fetch(`${debateServer.url}/v1/models`)).json()).toMatchObject({ object: 'list', data: [{ id: 'base-model', object: 'model', root: 'base-model', parent: null }] });
    expect((await fetch(`${ieServer.url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${ieServer.url}/v1/chat/completions`)).status).toBe(405);
  });
});
