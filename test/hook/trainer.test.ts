/** The hook trainer: job folders, reuse of finished jobs, release of probe adapters, and hook failures. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HookTrainer, type AdapterHost } from '../../engine/hook/hook-trainer.ts';
import { hookCommand } from '../../engine/hook/run-hook.ts';
import type { PreferenceExample } from '../../engine/base/trainer.ts';
import { readTrainingJob } from '../../engine/hook/training-job.ts';
import { tempDir } from '../cli/helpers.ts';

/** An adapter host that records what it was asked to load and release. */
function fakeHost(): AdapterHost & { registered: Map<string, string>; released: string[] } {
  const registered = new Map<string, string>();
  const released: string[] = [];
  return {
    name: 'fake',
    registered,
    released,
    sample: async () => [],
    logLikelihood: async () => ({ logprob: 0, tokens: 0 }),
    countTokens: () => 0,
    registerAdapter: (name, path) => void registered.set(name, path),
    releaseAdapter: async (name) => void released.push(name),
  };
}

const PAIRS: PreferenceExample[] = [
  { messages: [{ role: 'system', content: 'You are Alice.' }], speaker: 'Alice', chosen: 'Alice: <A>Paris</A>', rejected: 'Alice: no idea' },
  { messages: [{ role: 'system', content: 'You are Bob.' }], speaker: 'Bob', chosen: 'Bob: <A>Paris</A>', rejected: 'Bob: hm' },
];
const STEP = { optimizer: 'adamw' as const, lr: 0.1, beta: 0.5 };
/** A hook that copies the job file into the output folder and counts its calls. */
const copyHook = (counter: string) => ({ kind: 'command' as const, template: `mkdir -p {output} && cp {job} {output}/job-copy.json && echo x >> '${counter}'` });

describe('HookTrainer', () => {
  it('writes a job folder in TRL format, runs the hook once per job, and reuses a finished job', async () => {
    const root = tempDir();
    const counter = join(root, 'calls');
    const host = fakeHost();
    const trainer = new HookTrainer({ host, hook: copyHook(counter), root, namePrefix: 'dits-t-' });
    const base = { name: null, path: null };
    const sft = await trainer.sft(base, [{ messages: PAIRS[0]!.messages, speaker: 'Alice', text: 'Alice: <A>Paris</A>' }], { lr: 1, epochs: 2 });
    expect(sft.name).toMatch(/^dits-t-sft-[0-9a-f]{16}$/);
    const job = readTrainingJob(join(sft.path as string, '..', 'job.json'));
    expect(job).toMatchObject({ start: null, ref: null, settings: { kind: 'sft', lr: 1, epochs: 2 }, output: sft.path });
    expect(JSON.parse(readFileSync(job.data, 'utf8').trim())).toEqual({
      prompt: [{ role: 'system', content: 'You are Alice.' }],
      completion: [{ role: 'assistant', content: 'Alice: <A>Paris</A>' }],
      speaker: 'Alice',
    });
    expect(host.registered.get(sft.name as string)).toBe(sft.path);

    const dpo = await trainer.dpo(sft, PAIRS, { steps: 3, batchSize: 2, lr: 0.05, scheduler: 'constant', warmupRatio: 0, beta: 0.5, seed: 1 });
    expect(readTrainingJob(join(dpo.path as string, '..', 'job.json'))).toMatchObject({ start: sft.path, ref: sft.path, settings: { kind: 'dpo', steps: 3 } });
    // The same job again (a resumed run): no second hook call.
    const again = await new HookTrainer({ host: fakeHost(), hook: copyHook(counter), root, namePrefix: 'dits-t-' }).dpo(sft, PAIRS, { steps: 3, batchSize: 2, lr: 0.05, scheduler: 'constant', warmupRatio: 0, beta: 0.5, seed: 1 });
    expect(again).toEqual(dpo);
    expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('releases a probe adapter: unloaded and its job folder deleted; identical probes at once share one job until both are released', async () => {
    const root = tempDir();
    const host = fakeHost();
    const trainer = new HookTrainer({ host, hook: copyHook(join(root, 'calls')), root, namePrefix: 'dits-t-' });
    const warm = { name: null, path: null };
    const [a, b] = await Promise.all([trainer.probeStep(warm, warm, PAIRS, STEP), trainer.probeStep(warm, warm, PAIRS, STEP)]);
    expect(a).toEqual(b);
    expect(readFileSync(join(root, 'calls'), 'utf8').trim().split('\n')).toHaveLength(1);
    await trainer.release(a!);
    expect(host.released).toEqual([]);
    expect(existsSync(a!.path as string)).toBe(true);
    await trainer.release(b!);
    expect(host.released).toEqual([a!.name]);
    expect(readdirSync(join(root, 'adapters'))).toEqual([]);
  });

  it('a failing hook names the command and shows the end of its output; a hook that writes nothing is an error too', async () => {
    const root = tempDir();
    const failing = new HookTrainer({ host: fakeHost(), hook: { kind: 'command', template: 'echo "CUDA out of memory" >&2; exit 7' }, root, namePrefix: 'p-' });
    await expect(failing.probeStep({ name: null, path: null }, { name: null, path: null }, PAIRS, STEP)).rejects.toThrow(/exited with status 7[\s\S]*CUDA out of memory/);
    const silent = new HookTrainer({ host: fakeHost(), hook: { kind: 'command', template: 'true' }, root, namePrefix: 'p-' });
    await expect(silent.probeStep({ name: null, path: null }, { name: null, path: null }, PAIRS, STEP)).rejects.toThrow(/wrote no adapter/);
  });

  it('removes leftovers of an interrupted session: probe jobs and unfinished jobs, not finished ones', () => {
    const root = tempDir();
    const dir = join(root, 'adapters');
    for (const d of ['probe-aaa', 'dpo-bbb', 'sft-ccc']) mkdirSync(join(dir, d, 'adapter'), { recursive: true });
    writeFileSync(join(dir, 'probe-aaa', 'done.json'), '{}');
    writeFileSync(join(dir, 'sft-ccc', 'done.json'), '{}');
    const trainer = new HookTrainer({ host: fakeHost(), hook: { kind: 'command', template: 'true' }, root, namePrefix: 'p-' });
    expect(trainer.removeLeftovers().map((p) => p.slice(dir.length + 1)).sort()).toEqual(['dpo-bbb', 'probe-aaa']);
    expect(readdirSync(dir)).toEqual(['sft-ccc']);
  });

  it('quotes every placeholder for the shell', () => {
    const cmd = hookCommand('train --job {job} --out {output} --kind {kind} --start {start}', "/tmp/it's here/job.json", {
      format: 'dits-training-job',
      version: 1,
      data: '/d',
      start: null,
      ref: null,
      settings: { kind: 'sft', lr: 1, epochs: 1 },
      output: '/o $(rm -rf ~)',
    });
    expect(cmd).toBe(`train --job '/tmp/it'\\''s here/job.json' --out '/o $(rm -rf ~)' --kind 'sft' --start ''`);
  });
});
