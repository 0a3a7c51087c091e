import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, folderFiles, tempDir, type CliResult } from './helpers.ts';

// The expected metric is off here (it is most of a run's time); the test that measures it turns it on.
const TINY = ['--seeds', '2', '--sft-tasks', '8', '--sft-samples', '2', '--search-tasks', '6', '--validation', '4', '--test-tasks', '10', '--dpo-seeds', '2', '--no-expected-metric'];

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const variance = (xs: number[]) => xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1);
const CONFIGS = ['full', 'random', 'q', 'influence', 'mix', 'share-0', 'share-0.2', 'share-0.4', 'share-0.6', 'share-0.8'];

describe('dits compare', () => {
  const dir = tempDir();
  // One comparison, made before the tests; a test that changes a folder works on its own copy.
  const out = join(dir, 'cmp');
  let first: CliResult;
  beforeAll(async () => {
    first = await cli(['compare', '--out', out, ...TINY]);
  }, 60_000);
  const copyOf = (name: string) => {
    const copy = join(dir, name);
    cpSync(out, copy, { recursive: true });
    return copy;
  };

  it('runs every configuration for every seed and writes report.md, plot.svg and results.json', () => {
    const r = first;
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
    expect(r.stdout).toMatch(/\] q seed 1: test f1 \d\.\d{4} \(DPO seeds \d\.\d{4} \d\.\d{4}; SFT \d\.\d{4}\), /);
  });

  it('pairs every configuration with the reference and its SFT model, from the numbers in the run folders', async () => {
    const results = json(join(out, 'results.json'));
    expect(results.reference).toBe('full');
    expect(results.base.dpoSeeds).toBe(2);
    expect(results.base.testTasks).toBe(10);
    expect(results.expectedTemperature).toBeNull();
    expect(results.scenarioSource).toBe('built-in scenarios/builtin/hotpotqa.yaml');
    expect(results.tasks).toEqual({ generator: 'gen-ie', validationSeedOffset: 1_000_000 });
    const iter = (c: string, seed: number, f: string) => json(join(out, 'runs', `${c}-seed${seed}`, 'iter-0', f));
    const row = (c: string) => results.summary.find((r: { configuration: string }) => r.configuration === c);
    expect(row('full').vsReference).toBeNull();
    for (const c of CONFIGS) {
      const r = row(c);
      const evals = [0, 1].map((s) => iter(c, s, 'eval.json'));
      expect(r.dpoSeeds).toBe(2);
      expect(r.expected).toBeNull();
      // Paired with full seed by seed, from the runs' eval.json.
      if (c !== 'full') {
        const differences = [0, 1].map((s) => evals[s].metric - iter('full', s, 'eval.json').metric);
        expect(r.vsReference.perSeed.map((p: { difference: number }) => p.difference)).toEqual(differences);
        expect(r.vsReference.mean).toBeCloseTo(mean(differences), 12);
        expect(r.vsReference.lo).toBeLessThanOrEqual(r.vsReference.mean);
        expect(r.vsReference.excludesZero).toBe(r.vsReference.lo > 0 || r.vsReference.hi < 0);
        // Batch order: each side's run-mean SD, combined for one seed's difference, then over the two seeds.
        expect(r.vsReference.batchOrderSdPerSeed).toBeCloseTo(Math.hypot(r.batchOrder.runMean, row('full').batchOrder.runMean), 12);
        expect(r.vsReference.batchOrderSd).toBeCloseTo(r.vsReference.batchOrderSdPerSeed / Math.SQRT2, 12);
      }
      expect(r.gainOverSft.perSeed.map((p: { difference: number }) => p.difference)).toEqual(evals.map((e) => e.metric - e.sft.metric));
      expect(r.sft.mean).toBeCloseTo(mean(evals.map((e) => e.sft.metric)), 12);
      // Batch order: the root mean of each run's variance across its DPO seeds.
      const pooled = Math.sqrt(mean(evals.map((e) => variance(e.perDpoSeed.map((d: { metric: number }) => d.metric)))));
      expect(r.batchOrder.perModel).toBeCloseTo(pooled, 12);
      expect(r.batchOrder.runMean).toBeCloseTo(pooled / Math.SQRT2, 12);
      const collapsed = evals.flatMap((e) => e.perDpoSeed.filter((d: { metric: number }) => e.sft.metric - d.metric > 0.1)).length;
      expect(r.collapse.n).toBe(4);
      expect(r.collapse.successes).toBe(collapsed);
      expect(r.zeroGradientShare.candidates).toBeCloseTo(mean([0, 1].map((s) => iter(c, s, 'pair-stats.json').zeroGradientShare)), 12);
      expect(r.dpoSteps).toBe(mean([0, 1].map((s) => iter(c, s, 'dpo.json').steps)));
      expect(r.dpoSteps).toBe(mean(results.runs.filter((x: { configuration: string }) => x.configuration === c).map((x: { iterations: { dpoSteps: number }[] }) => x.iterations[0]!.dpoSteps)));
    }
    // The full set trains on every candidate, a selection on half: as many steps or more (equal when
    // both fit one batch of 64, as at these sizes).
    expect(row('full').dpoSteps).toBeGreaterThanOrEqual(row('q').dpoSteps);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('Scenario `hotpotqa` (built-in scenarios/builtin/hotpotqa.yaml), metric f1. Tasks generated by gen-ie');
    expect(md).toContain('## Paired differences against `full`');
    expect(md).toContain('| q − full | 0 | test f1 |');
    expect(md).toContain('## Against the SFT model: gain, batch-order noise, collapses');
    expect(md).toMatch(/\| share-0\.4 \| 0 \| test f1 \| /);
    expect(md).toContain('DPO steps');
  });

  it('pairs against another configuration with --reference, and refuses one the comparison does not have', async () => {
    const out = copyOf('cmp-reference');
    const other = await cli(['compare', '--out', out, ...TINY, '--reference', 'share-0', '--quiet']);
    expect(other.status, other.stderr).toBe(0);
    const results = json(join(out, 'results.json'));
    expect(results.reference).toBe('share-0');
    expect(results.summary.find((r: { configuration: string }) => r.configuration === 'share-0').vsReference).toBeNull();
    expect(results.summary.find((r: { configuration: string }) => r.configuration === 'full').vsReference.minus).toBe('share-0');
    const bad = await cli(['compare', '--out', out, ...TINY, '--reference', 'nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--reference nope');
  });

  it('reuses finished runs and resumes an interrupted one, ending with the same results', async () => {
    const out = copyOf('cmp-reuse');
    const before = folderFiles(out);
    // Interrupt q-seed1: the same manifest, three stages done (dits run --resume continues a compare run folder).
    const q1 = join(out, 'runs', 'q-seed1');
    const manifest = readFileSync(join(q1, 'manifest.json'));
    rmSync(q1, { recursive: true });
    mkdirSync(q1);
    writeFileSync(join(q1, 'manifest.json'), manifest);
    expect((await cli(['run', '--resume', q1, '--max-stages', '3', '--quiet'])).status).toBe(0);
    expect(existsSync(join(q1, 'metrics.json'))).toBe(false);

    const r = await cli(['compare', '--out', out, ...TINY]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.match(/\(reused\)/g)).toHaveLength(19);
    expect(r.stdout).toMatch(/q seed 1: .*\(resumed in/);
    expect(r.stdout).toContain('1 runs made or continued, 19 reused');
    expect(folderFiles(out)).toEqual(before);

    const again = await cli(['compare', '--out', out, ...TINY, '--quiet']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toBe('');
    expect(folderFiles(out)).toEqual(before);
  });

  it('refuses a folder whose runs have other settings', async () => {
    const r = await cli(['compare', '--out', out, ...TINY.map((a) => (a === '10' ? '12' : a))]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('other settings');
    const seeds = await cli(['compare', '--out', out, ...TINY.map((a, i) => (TINY[i - 1] === '--dpo-seeds' ? '3' : a))]);
    expect(seeds.status).toBe(2);
    expect(seeds.stderr).toContain('other settings');
  });

  it('measures the expected metric at T = 0.7 by default and pairs it too', async () => {
    const exp = join(dir, 'expected');
    // Fewer test tasks than TINY's 10: the expected metric costs per test task, and 4 pair the same way.
    const sizes = TINY.filter((a) => a !== '--no-expected-metric').map((a, i, all) => (all[i - 1] === '--test-tasks' ? '4' : a));
    const args = ['compare', '--out', exp, ...sizes, '--shares', ''];
    const r = await cli(args);
    expect(r.status, r.stderr).toBe(0);
    const results = json(join(exp, 'results.json'));
    expect(results.expectedTemperature).toBe(0.7);
    for (const row of results.summary) {
      const evals = [0, 1].map((s) => json(join(exp, 'runs', `${row.configuration}-seed${s}`, 'iter-0', 'eval.json')));
      expect(row.expected.temperature).toBe(0.7);
      expect(row.expected.metric.mean).toBeCloseTo(mean(evals.map((e) => e.expected.metric)), 12);
      expect(row.expected.sft.mean).toBeCloseTo(mean(evals.map((e) => e.expected.sft)), 12);
      if (row.configuration !== 'full') {
        const full = [0, 1].map((s) => json(join(exp, 'runs', `full-seed${s}`, 'iter-0', 'eval.json')));
        expect(row.expected.vsReference.perSeed.map((p: { difference: number }) => p.difference)).toEqual(evals.map((e, s) => e.expected.metric - full[s].expected.metric));
      }
    }
    const md = readFileSync(join(exp, 'report.md'), 'utf8');
    expect(md).toContain('| q − full | 0 | expected f1 at T = 0.7 |');
    expect(md).toContain('- **expected f1 at T = 0.7**');
  });
});

describe('dits compare --tasks', () => {
  const dir = tempDir('dits-compare-tasks-');
  const csv = join(dir, 'mmlu.csv');
  writeFileSync(csv, Array.from({ length: 40 }, (_, i) => `"What is ${i} plus 1?",${i + 1},${i + 2},${i + 3},${i + 4},A`).join('\n') + '\n');

  it('runs every seed on the file\'s tasks and names the source in the report and results', async () => {
    const out = join(dir, 'cmp');
    const r = await cli(['compare', '--scenario', 'mmlu', '--tasks', csv, '--shares', '', '--out', out, ...TINY, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(json(join(out, 'results.json')).tasks).toEqual({ file: csv, format: 'mmlu' });
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain(`Tasks from \`${csv}\` (mmlu), the same for every seed`);
    expect(json(join(out, 'runs', 'full-seed1', 'manifest.json')).tasks).toEqual({ file: csv, format: 'mmlu', task_seed: 1 });
  });

  it('refuses a budget sweep on a file, and warns of slice flags without --tasks', async () => {
    const sweep = await cli(['compare', '--scenario', 'mmlu', '--tasks', csv, '--out', join(dir, 'sweep'), ...TINY]);
    expect(sweep.status).toBe(2);
    expect(sweep.stderr).toContain("give --shares '' for the selection ablation alone");
    const stray = await cli(['compare', '--limit', '5', '--reference', 'nope', '--out', join(dir, 'stray'), ...TINY]);
    expect(stray.stderr).toContain('dits: warning: --limit applies to --tasks, which is not given: ignored');
  });
});
