import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dits, folderFiles, tempDir } from './helpers.ts';

const TINY = ['--seeds', '2', '--sft-tasks', '8', '--sft-samples', '2', '--search-tasks', '6', '--validation', '4', '--test-tasks', '10'];
const CONFIGS = ['full', 'random', 'q', 'influence', 'mix', 'share-0', 'share-0.2', 'share-0.4', 'share-0.6', 'share-0.8'];

describe('dits compare', () => {
  const dir = tempDir();
  const out = join(dir, 'cmp');

  it('runs every configuration for every seed and writes report.md, plot.svg and results.json', () => {
    const r = dits(['compare', '--out', out, ...TINY]);
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['report.md', 'plot.svg', 'results.json']) expect(existsSync(join(out, f)), f).toBe(true);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.configurations.map((c: { name: string }) => c.name)).toEqual(CONFIGS);
    const pairs = results.runs.map((x: { configuration: string; seed: number }) => `${x.configuration}/${x.seed}`).sort();
    expect(pairs).toEqual(CONFIGS.flatMap((c) => [0, 1].map((s) => `${c}/${s}`)).sort());
    expect(results.summary).toHaveLength(CONFIGS.length);
    for (const run of results.runs) {
      expect(existsSync(join(out, run.dir, 'metrics.json')), run.dir).toBe(true);
      expect(run.iterations[0].testTasks).toBe(10);
      expect(run.iterations[0].meters.q.tokens).toBeGreaterThan(0);
    }
    // Seed k: run seed k, task seed k.
    const manifest = JSON.parse(readFileSync(join(out, 'runs', 'q-seed1', 'manifest.json'), 'utf8'));
    expect(manifest.config.seed).toBe(1);
    expect(manifest.tasks.task_seed).toBe(1);
    // Progress: one line per finished run; the report is printed too.
    expect(r.stdout.match(/^\[\s*\d+\/20\] /gm)).toHaveLength(20);
    expect(r.stdout).toContain('## Budget allocation sweep');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('| mix: mix (γ = 1), 50% | 0 |');
    expect(readFileSync(join(out, 'plot.svg'), 'utf8')).toContain('>influence</text>');
  });

  it('reuses finished runs and resumes an interrupted one, ending with the same results', () => {
    const before = folderFiles(out);
    // Interrupt q-seed1: the same manifest, three stages done (dits run --resume continues a compare run folder).
    const q1 = join(out, 'runs', 'q-seed1');
    const manifest = readFileSync(join(q1, 'manifest.json'));
    rmSync(q1, { recursive: true });
    mkdirSync(q1);
    writeFileSync(join(q1, 'manifest.json'), manifest);
    expect(dits(['run', '--resume', q1, '--max-stages', '3', '--quiet']).status).toBe(0);
    expect(existsSync(join(q1, 'metrics.json'))).toBe(false);

    const started = performance.now();
    const r = dits(['compare', '--out', out, ...TINY]);
    const seconds = (performance.now() - started) / 1000;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.match(/\(reused\)/g)).toHaveLength(19);
    expect(r.stdout).toMatch(/q seed 1: .*\(resumed in/);
    expect(r.stdout).toContain('1 runs made or continued, 19 reused');
    expect(folderFiles(out)).toEqual(before);
    expect(seconds).toBeLessThan(20);

    const again = dits(['compare', '--out', out, ...TINY, '--quiet']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toBe('');
    expect(folderFiles(out)).toEqual(before);
  });

  it('refuses a folder whose runs have other settings', () => {
    const r = dits(['compare', '--out', out, ...TINY.map((a) => (a === '10' ? '12' : a))]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('other settings');
  });
});
