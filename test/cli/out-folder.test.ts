/** A finished folder is never replaced silently (simulate, search): refused, or replaced with --overwrite. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.ts';

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).length;

describe.each([
  ['simulate', 'trajectories.jsonl', (n: number) => ['--generate', String(n)]],
  ['search', 'pairs.jsonl', (n: number) => ['--generate', String(n), '--selections', '2', '--rollouts', '2']],
] as const)('dits %s into an --out that holds a finished folder', (command, file, size) => {
  const dir = tempDir();
  const out = join(dir, 'run');

  it('refuses, naming the folder and --overwrite, and leaves it as it was; --overwrite replaces it', async () => {
    expect((await cli([command, '--scenario', 'gsm8k', ...size(6), '--out', out, '--quiet'])).status).toBe(0);
    const before = readFileSync(join(out, 'manifest.json'), 'utf8');
    const again = await cli([command, '--scenario', 'gsm8k', ...size(2), '--out', out, '--quiet']);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain(`${out} already holds a finished dits folder`);
    expect(again.stderr).toContain('--overwrite');
    expect(again.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(before);
    const replaced = await cli([command, '--scenario', 'gsm8k', ...size(2), '--out', out, '--quiet', '--overwrite']);
    expect(replaced.status, replaced.stderr).toBe(0);
    if (command === 'simulate') expect(lines(join(out, file))).toBe(2);
    else expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).tasks).toBe(2);
  });

  it('--overwrite refuses to delete a folder dits did not write', async () => {
    const mine = join(dir, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'notes.txt'), 'keep me');
    const r = await cli([command, '--scenario', 'gsm8k', ...size(2), '--out', mine, '--quiet', '--overwrite']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('is not a dits folder');
    expect(existsSync(join(mine, 'notes.txt'))).toBe(true);
  });
});

describe('dits run on a task file too small for its sizes', () => {
  it('exits 2 naming the formula, the counts and the flags to lower, with no stack trace', async () => {
    const dir = tempDir();
    const file = join(dir, 'tasks.jsonl');
    writeFileSync(file, Array.from({ length: 30 }, (_, i) => JSON.stringify({ question: `What is ${i} + 1?`, answer: `${i} + 1 = ${i + 1}\n#### ${i + 1}` })).join('\n') + '\n');
    const r = await cli(['run', '--scenario', 'gsm8k', '--tasks', file, '--out', join(dir, 'run'), '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('validation + test + iterations × (sft + search) = 20 + 100 + 2 × (100 + 100) = 520 tasks, the task source has 30');
    expect(r.stderr).toContain('--search-tasks');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
