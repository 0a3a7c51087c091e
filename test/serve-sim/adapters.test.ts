import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SftTarget } from '../../engine/base/trainer.ts';
import { jsonl, sftRow, sftSettings, writeTrainingJob, type TrainingJob } from '../../engine/hook/training-job.ts';
import { SimBackend } from '../../engine/sim/backend.ts';
import { defaultParams, serializeParams } from '../../engine/sim/params.ts';
import { SimTrainer } from '../../engine/sim/sim-trainer.ts';
import { readSimAdapter, writeSimAdapter } from '../../engine/sim/train-job.ts';
import { startSimServer, type SimServer } from '../../serve-sim/server.ts';
import { tempDir } from '../cli/helpers.ts';
import { dialogueTurns, get, ieFixture, post } from './helpers.ts';

const f = ieFixture(10);
let server: SimServer;
const dir = tempDir('dits-serve-sim-');

/** SFT targets: the agents' sampled turns of a few dialogues. */
const targets: SftTarget[] = [0, 1, 2, 3].flatMap((i) => dialogueTurns(f, i, 4).map((t) => ({ messages: t.messages, speaker: t.speaker, text: t.text })));
const sft = { lr: 0.5, epochs: 3 };

function sftJob(name: string): { file: string; job: TrainingJob } {
  const job: TrainingJob = {
    format: 'dits-training-job',
    version: 1,
    data: join(dir, name, 'data.jsonl'),
    start: null,
    ref: null,
    settings: sftSettings(sft),
    output: join(dir, name, 'adapter'),
  };
  const file = join(dir, name, 'job.json');
  writeTrainingJob(file, job, jsonl(targets.map(sftRow)));
  return { file, job };
}

beforeAll(async () => {
  server = await startSimServer({ world: f.world });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST /sim/train', () => {
  it('writes the params.json the SimTrainer gives in process', async () => {
    const { job } = sftJob('train');
    const r = await post(server.url, '/sim/train', job);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ output: job.output });
    const written = JSON.parse(readFileSync(join(job.output, 'params.json'), 'utf8'));
    const direct = serializeParams(await new SimTrainer(f.world).sft(defaultParams(), targets, sft));
    expect(written).toEqual(JSON.parse(JSON.stringify(direct)));
    expect(written).not.toEqual(JSON.parse(JSON.stringify(serializeParams(defaultParams()))));
  });

  it('answers a bad job with 400 and its reason', async () => {
    const r = await post(server.url, '/sim/train', { format: 'dits-training-job', version: 1 });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/training job: data/);
    const { job } = sftJob('bad');
    const missing = await post(server.url, '/sim/train', { ...job, data: join(dir, 'no-such.jsonl') });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/no-such\.jsonl/);
  });
});

describe('adapters', () => {
  it('loads, lists, samples and scores with, and unloads an adapter', async () => {
    const { job } = sftJob('adapter');
    expect((await post(server.url, '/sim/train', job)).status).toBe(200);
    const load = await post(server.url, '/v1/load_lora_adapter', { lora_name: 'tuned', lora_path: job.output });
    expect(load.status).toBe(200);
    expect(load.text).toBe("Success: LoRA adapter 'tuned' added successfully.");

    const models = await get(server.url, '/v1/models');
    expect(models.body.data.map((m: { id: string; root: string; parent: string | null }) => [m.id, m.root, m.parent])).toEqual([
      ['dits-sim', 'dits-sim', null],
      ['tuned', job.output, 'dits-sim'],
    ]);

    const backend = new SimBackend(f.world);
    backend.registerAdapter('tuned', readSimAdapter(job.output));
    let differs = 0;
    for (const turn of dialogueTurns(f, 5, 4)) {
      const req = { messages: turn.messages, speaker: turn.speaker, n: 4, temperature: 1, maxTokens: 500, seed: 3 };
      const body = { messages: [...turn.messages, { role: 'assistant', content: `${turn.speaker}:` }], continue_final_message: true, n: 4, temperature: 1, max_tokens: 500, seed: 3 };
      const tuned = await post(server.url, '/v1/chat/completions', { ...body, model: 'tuned' });
      expect(tuned.body.model).toBe('tuned');
      const texts = tuned.body.choices.map((c: { message: { content: string } }) => `${turn.speaker}:${c.message.content}`);
      expect(texts).toEqual(backend.sampleSync({ ...req, adapter: 'tuned' }).map((c) => c.text));
      if (JSON.stringify(texts) !== JSON.stringify(backend.sampleSync(req).map((c) => c.text))) differs++;
      const P = (await post(server.url, '/tokenize', { model: 'tuned', messages: turn.messages, add_generation_prompt: true })).body.tokens;
      const R = (await post(server.url, '/tokenize', { model: 'tuned', prompt: turn.text, add_special_tokens: false })).body.tokens;
      const c = await post(server.url, '/v1/completions', { model: 'tuned', prompt: [...P, ...R], max_tokens: 1, echo: true, logprobs: 1 });
      expect(c.body.choices[0].logprobs.token_logprobs[P.length]).toBe(backend.logLikelihoodSync(turn.messages, turn.text, 'tuned').logprob);
      expect(c.body.choices[0].logprobs.token_logprobs[P.length]).not.toBe(backend.logLikelihoodSync(turn.messages, turn.text).logprob);
    }
    expect(differs).toBeGreaterThan(0);

    const again = await post(server.url, '/v1/load_lora_adapter', { lora_name: 'tuned', lora_path: job.output });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toMatch(/already been loaded/);

    const unload = await post(server.url, '/v1/unload_lora_adapter', { lora_name: 'tuned' });
    expect(unload.status).toBe(200);
    expect(unload.text).toBe("Success: LoRA adapter 'tuned' removed successfully.");
    expect((await get(server.url, '/v1/models')).body.data).toHaveLength(1);
    const gone = await post(server.url, '/v1/chat/completions', { model: 'tuned', messages: dialogueTurns(f, 5, 1)[0]!.messages });
    expect(gone.status).toBe(404);
    expect(gone.body.error.message).toBe('The model `tuned` does not exist.');
    expect((await post(server.url, '/v1/unload_lora_adapter', { lora_name: 'tuned' })).status).toBe(404);

    // Loading the name again after an unload reads the folder afresh.
    writeSimAdapter(join(dir, 'base-copy'), defaultParams());
    expect((await post(server.url, '/v1/load_lora_adapter', { lora_name: 'tuned', lora_path: join(dir, 'base-copy') })).status).toBe(200);
    const turn = dialogueTurns(f, 6, 1)[0]!;
    const c = await post(server.url, '/v1/chat/completions', { model: 'tuned', messages: turn.messages, n: 3, seed: 4 });
    expect(c.body.choices.map((x: { message: { content: string } }) => x.message.content)).toEqual(
      new SimBackend(f.world).sampleSync({ messages: turn.messages, speaker: turn.speaker, n: 3, temperature: 1, maxTokens: 4096, seed: 4 }).map((x) => x.text),
    );
    expect((await post(server.url, '/v1/unload_lora_adapter', { lora_name: 'tuned' })).status).toBe(200);
  });

  it('refuses a bad adapter path or request with 400', async () => {
    const missing = await post(server.url, '/v1/load_lora_adapter', { lora_name: 'x', lora_path: join(dir, 'nothing-here') });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/not a simulated-model adapter/);
    expect((await post(server.url, '/v1/load_lora_adapter', { lora_path: dir })).status).toBe(400);
    expect((await post(server.url, '/v1/load_lora_adapter', { lora_name: 'dits-sim', lora_path: dir })).status).toBe(400);
    expect((await get(server.url, '/v1/models')).body.data).toHaveLength(1);
  });
});
