/**
 * End to end over HTTP: dits on `--backend openai` against serve-sim gives the same results,
 * byte for byte, as the simulated model in process with the same seed.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../../serve-sim/server.ts';
import { cli, folderFiles, tempDir } from '../cli/helpers.ts';
import { ditsAsync, resultFiles, simServer } from './helpers.ts';

const RUN_SIZES = ['--iterations', '1', '--sft-tasks', '8', '--sft-samples', '2', '--search-tasks', '8', '--validation', '4', '--test-tasks', '8', '--quiet'];
/** Tasks a run of RUN_SIZES draws: validation + test + SFT + search. */
const RUN_TASKS = 4 + 8 + 8 + 8;

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

describe('over HTTP against serve-sim', () => {
  const dir = tempDir();
  let ie: SimServer;
  let debate: SimServer;

  beforeAll(async () => {
    ie = await simServer('hotpotqa', 60);
    debate = await simServer('gsm8k', 20);
  });
  afterAll(async () => {
    await ie.close();
    await debate.close();
  });

  it('simulate writes the same trajectories as in process, records the server, and a rerun replays from the cache', async () => {
    const args = ['simulate', '--scenario', 'hotpotqa', '--generate', '30', '--seed', '3', '--quiet'];
    const local = await cli([...args, '--out', join(dir, 'sim-local')]);
    expect(local.status, local.stderr).toBe(0);
    const remote = await cli([...args, '--out', join(dir, 'sim-http'), '--backend', 'openai', '--endpoint', ie.url]);
    expect(remote.status, remote.stderr).toBe(0);
    for (const f of ['trajectories.jsonl', 'summary.json']) {
      expect(readFileSync(join(dir, 'sim-http', f), 'utf8'), f).toBe(readFileSync(join(dir, 'sim-local', f), 'utf8'));
    }
    const manifest = json(join(dir, 'sim-http', 'manifest.json'));
    expect(manifest.backend.server.model).toBe('dits-sim');
    expect(manifest.backend.server.endpoints[0].version).toMatch(/^serve-sim /);
    expect(manifest.backend.server.capabilities).toEqual({ n: true, seed: true, echoLogprobs: true, tokenize: true, runtimeLora: true });
    expect(manifest.backend.usage.endpoints[0].requests).toBeGreaterThan(30);

    const before = ie.stats().requests;
    // A rerun into the finished folder needs --overwrite, which keeps the response cache.
    const again = await cli([...args, '--out', join(dir, 'sim-http'), '--backend', 'openai', '--endpoint', ie.url, '--overwrite']);
    expect(again.status, again.stderr).toBe(0);
    const replay = json(join(dir, 'sim-http', 'manifest.json'));
    expect(replay.backend.usage.endpoints[0].requests).toBe(0);
    expect(replay.backend.usage.cacheHits).toBeGreaterThan(30);
    // Only the start-up capability probe reached the server.
    expect(ie.stats().requests - before).toBeLessThan(10);
    expect(readFileSync(join(dir, 'sim-http', 'trajectories.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'sim-local', 'trajectories.jsonl'), 'utf8'));
  }, 60_000);

  it('search writes the same trees, pairs and datasets as in process', async () => {
    const args = ['search', '--scenario', 'gsm8k', '--generate', '12', '--selections', '4', '--rollouts', '2', '--seed', '5', '--quiet'];
    const local = await cli([...args, '--out', join(dir, 'search-local')]);
    expect(local.status, local.stderr).toBe(0);
    const remote = await cli([...args, '--out', join(dir, 'search-http'), '--backend', 'openai', '--endpoint', debate.url, '--no-cache']);
    expect(remote.status, remote.stderr).toBe(0);
    // A search's report holds nothing only one kind of run writes: it must be identical too.
    const files = resultFiles(join(dir, 'search-http'), { runReport: true });
    expect(Object.keys(files)).toContain('trees.msgpack');
    expect(Object.keys(files)).toContain('pairs.jsonl');
    expect(existsSync(join(dir, 'search-http', 'http-cache.jsonl'))).toBe(false);
    expect(Object.keys(files)).toContain('report.html');
    expect(files).toEqual(resultFiles(join(dir, 'search-local'), { runReport: true }));
  }, 60_000);

  it('a one-iteration run with probes, trained through the HTTP hook, equals the run in process; no adapter or probe folder is left', async () => {
    const local = await cli(['run', '--out', join(dir, 'run-local'), ...RUN_SIZES]);
    expect(local.status, local.stderr).toBe(0);
    const out = join(dir, 'run-http');
    // dits in a child process here, as a user runs it against a server; the other tests run it in this one.
    const remote = await ditsAsync(['run', '--out', out, ...RUN_SIZES, '--backend', 'openai', '--endpoint', ie.url, '--trainer-url', `${ie.url}/sim/train`]).done;
    expect(remote.status, remote.stderr).toBe(0);
    const influence = json(join(out, 'iter-0', 'influence.json'));
    expect(influence.groups.length).toBeGreaterThan(1);
    expect(resultFiles(out)).toEqual(resultFiles(join(dir, 'run-local')));
    // The adapters the hook trained hold exactly the parameters trained in process.
    for (const stem of ['sft', 'warm', 'model']) {
      const pointer = json(join(out, 'iter-0', `${stem}.adapter.json`));
      expect(readFileSync(join(out, pointer.path, 'params.json'), 'utf8'), stem).toBe(readFileSync(join(dir, 'run-local', 'iter-0', `${stem}.params.json`), 'utf8'));
    }
    expect(readdirSync(join(out, 'adapters')).filter((d) => d.startsWith('probe-'))).toEqual([]);
    const models = (await (await fetch(`${ie.url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(['dits-sim']);
  }, 120_000);

  it('the same run trained through the bundled hook command (dits sim-train) is identical too', async () => {
    const sizes = [...RUN_SIZES, '--group-size', '20'];
    const local = await cli(['run', '--out', join(dir, 'cmd-local'), ...sizes]);
    expect(local.status, local.stderr).toBe(0);
    const out = join(dir, 'cmd-http');
    const hook = `node bin/dits.mjs sim-train --scenario hotpotqa --generate ${RUN_TASKS} {job}`;
    const remote = await cli(['run', '--out', out, ...sizes, '--backend', 'openai', '--endpoint', ie.url, '--trainer-cmd', hook]);
    expect(remote.status, remote.stderr).toBe(0);
    expect(resultFiles(out)).toEqual(resultFiles(join(dir, 'cmd-local')));
    expect(Object.keys(folderFiles(out)).filter((f) => f.endsWith('hook.log')).length).toBeGreaterThan(0);
  }, 120_000);
});
