/**
 * Fault drills against serve-sim: failing and hanging requests, an endpoint that dies mid-run,
 * every endpoint down, and the engine itself killed while probing. Each ends with the same
 * results as an undisturbed run in process. What is drilled with faults, interrupted or killed
 * runs in a child process (ditsAsync); the references, resumes and the failover and retry-cap
 * drills run in this process (cli()), beside serve-sim.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimServer } from '../../serve-sim/server.ts';
import { cli, tempDir } from '../cli/helpers.ts';
import { ditsAsync, resultFiles, simServer, until } from './helpers.ts';

const SEARCH = ['search', '--scenario', 'gsm8k', '--generate', '12', '--selections', '4', '--rollouts', '2', '--seed', '7', '--quiet'];
const RUN_SIZES = ['--iterations', '1', '--sft-tasks', '8', '--sft-samples', '2', '--search-tasks', '8', '--validation', '4', '--test-tasks', '8', '--quiet'];
const RUN_TASKS = 28;

const servers: SimServer[] = [];
async function server(scenario: string, tasks: number, faults?: Parameters<typeof simServer>[2]): Promise<SimServer> {
  const s = await simServer(scenario, tasks, faults);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function loadedModels(url: string): Promise<string[]> {
  const body = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
  return body.data.map((m) => m.id);
}

describe('fault drills', () => {
  const dir = tempDir();
  const localSearch = join(dir, 'search-local');
  const localRun = join(dir, 'run-local');

  it('a search with 20% of requests failing (429, 503, 500, resets) and 5% hanging past the timeout completes with the fault-free results', async () => {
    expect((await cli([...SEARCH, '--out', localSearch])).status).toBe(0);
    const s = await server('gsm8k', 20, { seed: 11, rates: { s429: 0.05, s503: 0.05, s500: 0.05, reset: 0.05, hang: 0.05 }, retryAfterSeconds: 0 });
    const out = join(dir, 'search-faults');
    const r = await ditsAsync([...SEARCH, '--out', out, '--backend', 'openai', '--endpoint', s.url, '--request-timeout', '0.25', '--max-retries', '20']).done;
    expect(r.status, r.stderr).toBe(0);
    const injected = s.stats().faultsInjected;
    for (const kind of ['s429', 's503', 's500', 'reset', 'hang'] as const) expect(injected[kind], kind).toBeGreaterThan(0);
    expect(resultFiles(out)).toEqual(resultFiles(localSearch));
  }, 120_000);

  it('a task whose request outlasts the retry cap fails alone: the search finishes, lists it in failures.jsonl and exits 3', async () => {
    const s = await server('gsm8k', 20, { seed: 3, rates: { s500: 0.005 } });
    const out = join(dir, 'search-capped');
    const r = await cli([...SEARCH, '--out', out, '--backend', 'openai', '--endpoint', s.url, '--max-retries', '0', '--normalizer', '100', '--no-cache']);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/tasks failed and were left out/);
    const failures = readFileSync(join(out, 'failures.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { task_id: string; error: string });
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { tasks: number; failedTasks: number; pairs: number };
    expect(failures.length).toBeGreaterThan(0);
    expect(summary.failedTasks).toBe(failures.length);
    expect(summary.tasks + summary.failedTasks).toBe(12);
    expect(summary.tasks).toBeGreaterThan(0);
    for (const f of failures) expect(f.error).toMatch(/500/);
    const treeTasks = new Set(readFileSync(join(out, 'pairs.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { task_id: string }).task_id));
    for (const f of failures) expect(treeTasks.has(f.task_id)).toBe(false);
  }, 60_000);

  it('an endpoint killed mid-search fails over to the second one with nothing lost', async () => {
    if (!existsSync(localSearch)) expect((await cli([...SEARCH, '--out', localSearch])).status).toBe(0);
    const a = await server('gsm8k', 20, { latencyMs: [2, 2] });
    const b = await server('gsm8k', 20, { latencyMs: [2, 2] });
    const out = join(dir, 'search-failover');
    const running = cli([...SEARCH, '--out', out, '--backend', 'openai', '--endpoint', a.url, '--endpoint', b.url, '--no-cache']);
    await until(() => a.stats().completed >= 100, 30_000, 'endpoint A served 100 requests');
    a.kill();
    const r = await running;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/out|down|fail/i);
    expect(b.stats().completed).toBeGreaterThan(100);
    expect(resultFiles(out)).toEqual(resultFiles(localSearch));
  }, 120_000);

  it('when every endpoint stays down the run stops with a clear error, and --resume against a new server finishes it', async () => {
    expect((await cli(['run', '--out', localRun, ...RUN_SIZES])).status).toBe(0);
    const first = await server('hotpotqa', RUN_TASKS, { latencyMs: [1, 1] });
    const out = join(dir, 'run-down');
    const running = cli(['run', '--out', out, ...RUN_SIZES, '--backend', 'openai', '--endpoint', first.url, '--trainer-url', `${first.url}/sim/train`, '--down-timeout', '2']);
    await until(() => existsSync(join(out, 'iter-0', 'sft.adapter.json')), 60_000, 'the SFT stage finished');
    first.kill();
    const stopped = await running;
    expect(stopped.status).toBe(1);
    expect(stopped.stderr).toMatch(/down/i);
    expect(stopped.stderr).toContain(`dits run --resume ${out}`);
    expect(existsSync(join(out, 'metrics.json'))).toBe(false);

    const second = await server('hotpotqa', RUN_TASKS);
    const resumed = await cli(['run', '--resume', out, '--endpoint', second.url, '--trainer-url', `${second.url}/sim/train`]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resultFiles(out)).toEqual(resultFiles(localRun));
  }, 180_000);

  it('Ctrl-C while probing unloads the run\'s adapters before it exits, and the run resumes', async () => {
    if (!existsSync(localRun)) expect((await cli(['run', '--out', localRun, ...RUN_SIZES])).status).toBe(0);
    const s = await server('hotpotqa', RUN_TASKS, { latencyMs: [3, 3] });
    const out = join(dir, 'run-interrupt');
    const args = ['--backend', 'openai', '--endpoint', s.url, '--trainer-url', `${s.url}/sim/train`];
    const running = ditsAsync(['run', '--out', out, ...RUN_SIZES, ...args]);
    await until(async () => (await loadedModels(s.url)).some((m) => m.includes('-probe-')), 60_000, 'a probe adapter loaded');
    running.kill('SIGINT');
    const stopped = await running.done;
    expect(stopped.status).toBe(130);
    expect(stopped.stderr).toContain(`unloading this run's adapters. Continue with: dits run --resume ${out}`);
    expect(await loadedModels(s.url)).toEqual(['dits-sim']);
    const resumed = await cli(['run', '--resume', out]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resultFiles(out)).toEqual(resultFiles(localRun));
  }, 180_000);

  it('a kill -9 of the engine while probing leaves adapters loaded; --resume unloads them, deletes the orphaned folders and finishes identically', async () => {
    if (!existsSync(localRun)) expect((await cli(['run', '--out', localRun, ...RUN_SIZES])).status).toBe(0);
    const s = await server('hotpotqa', RUN_TASKS, { latencyMs: [3, 3] });
    const out = join(dir, 'run-kill');
    const args = ['--backend', 'openai', '--endpoint', s.url, '--trainer-url', `${s.url}/sim/train`];
    const running = ditsAsync(['run', '--out', out, ...RUN_SIZES, ...args]);
    let probing: string[] = [];
    await until(async () => (probing = (await loadedModels(s.url)).filter((m) => m.includes('-probe-'))).length > 0, 60_000, 'a probe adapter loaded');
    running.kill('SIGKILL');
    await running.done;
    expect((await loadedModels(s.url)).some((m) => m.includes('-probe-'))).toBe(true);
    expect(readdirSync(join(out, 'adapters')).some((d) => d.startsWith('probe-'))).toBe(true);

    const resumed = await cli(['run', '--resume', out]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/unloaded \d+ adapters an earlier session left loaded/);
    expect(resumed.stderr).toContain(probing[0]);
    expect(await loadedModels(s.url)).toEqual(['dits-sim']);
    const left = readdirSync(join(out, 'adapters'));
    expect(left.filter((d) => d.startsWith('probe-'))).toEqual([]);
    for (const d of left) expect(existsSync(join(out, 'adapters', d, 'done.json')), d).toBe(true);
    expect(resultFiles(out)).toEqual(resultFiles(localRun));
  }, 180_000);
});
