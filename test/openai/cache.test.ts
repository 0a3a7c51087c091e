import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALICE, harness } from './helpers.ts';
import { BASE } from './mock.ts';

const h = harness();
const CHAT = 'POST /v1/chat/completions';
const tmpFile = () => join(mkdtempSync(join(tmpdir(), 'dits-openai-')), 'responses.jsonl');
const lines = (f: string) =>
  readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { k: string; v: unknown });

describe('response cache', () => {
  it('replays a second backend on the same file without the network', async () => {
    const s = await h.server();
    const cacheFile = tmpFile();
    const b1 = await h.connect([s], { cacheFile });
    const first = await b1.sample({ ...ALICE, n: 2 });
    const ll1 = await b1.logLikelihood(ALICE.messages, 'Alice: fine');
    await b1.close();
    const recs = lines(cacheFile);
    expect(recs.length).toBe(1 + 2 + 3); // the chat, two counts; prefix ids, text ids and the echo
    const chatBody = s.requests(CHAT).at(-1)!.body;
    expect(recs.map((r) => r.k)).toContain(createHash('sha256').update(JSON.stringify({ path: '/v1/chat/completions', body: chatBody })).digest('hex'));

    const b2 = await h.connect([s], { cacheFile });
    expect(s.count(CHAT)).toBe(1 + 4); // capability probes are never cached: two per connect
    s.reset();
    expect(await b2.sample({ ...ALICE, n: 2 })).toEqual(first);
    expect(await b2.logLikelihood(ALICE.messages, 'Alice: fine')).toEqual(ll1);
    expect(s.received).toEqual([]);
    expect(b2.usage().cacheHits).toBe(1 + 2 + 3);
    expect(b2.countTokens(first[0]!.text)).toBe(b1.countTokens(first[0]!.text));
  });

  it('ignores a torn last line, cuts it off and keeps appending whole lines', async () => {
    const s = await h.server();
    const cacheFile = tmpFile();
    const b1 = await h.connect([s], { cacheFile });
    await b1.sample(ALICE);
    await b1.close();
    const whole = readFileSync(cacheFile, 'utf8');
    writeFileSync(cacheFile, `${whole}{"k":"0123","v":{"choi`);
    const b2 = await h.connect([s], { cacheFile });
    expect(h.logs.join('\n')).toMatch(/torn last line/);
    s.reset();
    await b2.sample(ALICE);
    expect(s.received).toEqual([]);
    await b2.sample({ ...ALICE, seed: 9 });
    await b2.close();
    expect(readFileSync(cacheFile, 'utf8').startsWith(whole)).toBe(true);
    expect(lines(cacheFile).length).toBe(2 + 2);
  });

  it('shares one network request among identical requests in flight', async () => {
    const s = await h.server();
    const b = await h.connect([s], { cacheFile: tmpFile() });
    s.reset();
    s.chatDelayMs = 40;
    const outs = await Promise.all(Array.from({ length: 5 }, () => b.sample(ALICE)));
    expect(s.count(CHAT)).toBe(1);
    expect(s.count('POST /tokenize')).toBe(1);
    for (const o of outs) expect(o).toEqual(outs[0]);
    expect(b.usage().shared).toBe(4);
    expect(b.usage().endpoints[0]!.requests).toBe(2);
  });

  it('keeps a shared request going while one caller still waits, and stops it when all gave up', async () => {
    const s = await h.server();
    const b = await h.connect([s], { cacheFile: tmpFile() });
    s.reset();
    s.chatDelayMs = 60;
    const a1 = new AbortController();
    const a2 = new AbortController();
    const p1 = b.sample(ALICE, { signal: a1.signal });
    const p2 = b.sample(ALICE, { signal: a2.signal });
    setTimeout(() => a1.abort(new Error('first gave up')), 10);
    await expect(p1).rejects.toThrow('first gave up');
    expect((await p2)[0]?.text).toBe(`Alice: said 42.0 to ${BASE}`);
    // Both give up: the request is stopped and nothing is cached, so a later one goes out again.
    const a3 = new AbortController();
    const a4 = new AbortController();
    const q3 = b.sample({ ...ALICE, seed: 5 }, { signal: a3.signal });
    const q4 = b.sample({ ...ALICE, seed: 5 }, { signal: a4.signal });
    setTimeout(() => {
      a3.abort(new Error('gone'));
      a4.abort(new Error('gone too'));
    }, 10);
    await expect(q3).rejects.toThrow('gone');
    await expect(q4).rejects.toThrow('gone too');
    s.chatDelayMs = 0;
    await b.sample({ ...ALICE, seed: 5 });
    expect(s.requests(CHAT).map((r) => r.body.seed)).toEqual([42, 5, 5]);
  });
});
