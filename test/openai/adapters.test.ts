import { describe, expect, it } from 'vitest';
import { RequestFailedError } from '../../engine/openai/index.ts';
import { ALICE, eventually, harness } from './helpers.ts';
import type { MockServer } from './mock.ts';

const h = harness();
const CHAT = 'POST /v1/chat/completions';
const LOAD = 'POST /v1/load_lora_adapter';
const UNLOAD = 'POST /v1/unload_lora_adapter';

function breakServer(s: MockServer, broken: boolean): void {
  s.override('GET /health', broken ? () => ({ status: 503, text: 'down' }) : undefined);
  s.override(CHAT, broken ? () => ({ status: 500, text: 'down' }) : undefined);
}

describe('adapters', () => {
  it('loads an adapter lazily, once per endpoint, before the requests that use it', async () => {
    const [s1, s2] = [await h.server(), await h.server()];
    const b = await h.connect([s1, s2], { tokenizer: 'bundled' });
    b.registerAdapter('run1-a', '/adapters/a');
    expect(s1.count(LOAD) + s2.count(LOAD)).toBe(0);
    for (const s of [s1, s2]) {
      s.reset();
      s.override(LOAD, () => ({ delayMs: 20 })); // held back: every request meets the load in progress
    }
    const outs = await Promise.all(Array.from({ length: 6 }, (_, seed) => b.sample({ ...ALICE, seed, adapter: 'run1-a' })));
    expect(outs.map((o) => o[0]!.text)).toEqual(Array.from({ length: 6 }, (_, seed) => `Alice: said ${seed}.0 to run1-a`));
    for (const s of [s1, s2]) {
      expect(s.requests(LOAD).map((r) => r.body)).toEqual([{ lora_name: 'run1-a', lora_path: '/adapters/a' }]);
      const routes = s.received.map((r) => `${r.method} ${r.path}`);
      expect(routes.indexOf(LOAD)).toBe(0);
      expect(s.count(CHAT)).toBe(3);
    }
    // Loaded now: no further loads.
    await b.sample({ ...ALICE, adapter: 'run1-a' });
    expect(s1.count(LOAD) + s2.count(LOAD)).toBe(2);
  });

  it("counts 'already been loaded' as loaded", async () => {
    const s = await h.server();
    const b = await h.connect([s], { tokenizer: 'bundled' });
    s.loaded.add('run1-b');
    b.registerAdapter('run1-b', '/adapters/b');
    const [c] = await b.sample({ ...ALICE, adapter: 'run1-b' });
    expect(c?.text).toContain('to run1-b');
    expect(s.count(LOAD)).toBe(1);
    expect(s.count(CHAT)).toBe(2 + 1);
  });

  it('fails the request at once when the server refuses the adapter', async () => {
    const s = await h.server();
    const b = await h.connect([s], { tokenizer: 'bundled' });
    s.override(LOAD, () => ({ status: 400, json: { object: 'error', message: 'No adapter found for /nowhere' } }));
    b.registerAdapter('run1-c', '/nowhere');
    const err = (await b.sample({ ...ALICE, adapter: 'run1-c' }).catch((e: unknown) => e)) as RequestFailedError;
    expect(err).toBeInstanceOf(RequestFailedError);
    expect(err.message).toContain("loading adapter 'run1-c' from /nowhere: No adapter found");
    expect(s.count(LOAD)).toBe(1);
  });

  it('releases an adapter from every endpoint where it was loaded, and forgets it', async () => {
    const [s1, s2] = [await h.server(), await h.server()];
    const b = await h.connect([s1, s2], { tokenizer: 'bundled' });
    b.registerAdapter('run1-a', '/adapters/a');
    await Promise.all([1, 2].map((seed) => b.sample({ ...ALICE, seed, adapter: 'run1-a' })));
    expect([...s1.loaded, ...s2.loaded]).toEqual(['run1-a', 'run1-a']);
    await b.releaseAdapter('run1-a');
    expect([...s1.loaded, ...s2.loaded]).toEqual([]);
    expect(s1.requests(UNLOAD).at(-1)?.body).toEqual({ lora_name: 'run1-a' });
    const unloads = s1.count(UNLOAD) + s2.count(UNLOAD);
    await b.releaseAdapter('run1-a');
    expect(s1.count(UNLOAD) + s2.count(UNLOAD)).toBe(unloads);
    // Registered again, it is loaded again.
    b.registerAdapter('run1-a', '/adapters/a');
    await b.sample({ ...ALICE, adapter: 'run1-a' });
    expect(s1.count(LOAD) + s2.count(LOAD)).toBe(3);
  });

  it('unloadMatching unloads every model id with the prefix on every endpoint', async () => {
    const [s1, s2] = [await h.server(), await h.server()];
    const b = await h.connect([s1, s2], { tokenizer: 'bundled' });
    for (const id of ['run1-x', 'run1-y', 'keep']) s1.loaded.add(id);
    s2.loaded.add('run1-y');
    s2.loaded.add('run1-z');
    expect(await b.unloadMatching('run1-')).toEqual(['run1-x', 'run1-y', 'run1-z']);
    expect([...s1.loaded]).toEqual(['keep']);
    expect([...s2.loaded]).toEqual([]);
    expect(await b.unloadMatching('run1-')).toEqual([]);
  });

  it('forgets what a returning endpoint had loaded and loads it again', async () => {
    const s = await h.server();
    const b = await h.connect([s], { tokenizer: 'bundled', maxRetries: 20, downTimeoutMs: 2000 });
    b.registerAdapter('run1-a', '/adapters/a');
    await b.sample({ ...ALICE, adapter: 'run1-a' });
    expect(s.count(LOAD)).toBe(1);
    // The server crashes and restarts without the adapter.
    breakServer(s, true);
    s.loaded.clear();
    const p = b.sample({ ...ALICE, seed: 3, adapter: 'run1-a' });
    await eventually(() => h.logs.some((l) => l.includes('taken out')));
    breakServer(s, false);
    expect((await p)[0]?.text).toBe('Alice: said 3.0 to run1-a');
    expect(s.count(LOAD)).toBe(2);
    expect(h.logs.join('\n')).toMatch(/back in service/);
  });
});
