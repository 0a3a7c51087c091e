import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TRAINING } from '../../actors/run-env.ts';
import { dpoSteps } from '../../actors/run-stages.ts';
import { trainSize } from '../../engine/export/split.ts';
import { cli, folderFiles, tempDir, type CliResult } from './helpers.ts';

const SMALL = ['--sft-tasks', '16', '--sft-samples', '4', '--search-tasks', '16', '--validation', '8', '--test-tasks', '20', '--quiet'];

describe('dits run', () => {
  const dir = tempDir();
  // The unbroken two-iteration run that several tests compare with, built once before them all
  // (no test reads another test's output).
  const whole = join(dir, 'whole');
  let wholeRun: CliResult;
  beforeAll(async () => {
    wholeRun = await cli(['run', '--out', whole, '--iterations', '2', ...SMALL]);
  }, 60_000);

  it('runs the iterations and writes every stage\'s outputs and per-iteration metrics', () => {
    expect(wholeRun.status, wholeRun.stderr).toBe(0);
    for (const t of [0, 1]) {
      for (const f of ['sft-data.jsonl', 'sft.params.json', 'search/pairs.jsonl', 'warm.params.json', 'influence.json', 'selected.jsonl', 'model.params.json', 'eval.json', 'meters.json']) {
        expect(existsSync(join(whole, `iter-${t}`, f)), `iter-${t}/${f}`).toBe(true);
      }
    }
    const metrics = JSON.parse(readFileSync(join(whole, 'metrics.json'), 'utf8'));
    expect(metrics.iterations).toHaveLength(2);
    const [m0, m1] = metrics.iterations;
    expect(m0.pairsKept).toBe(Math.floor(m0.pairsCandidate / 2));
    expect(m0.meters.q.calls).toBeGreaterThan(0);
    expect(m0.meters.influence.calls).toBeGreaterThan(0);
    expect(m1.meters.q.calls).toBeGreaterThan(m0.meters.q.calls);
    expect(m0.eval.tasks).toBe(20);
  });

  it('continues a stopped run with --resume and ends with the same files as an unbroken run', async () => {
    const broken = join(dir, 'broken');
    const first = await cli(['run', '--out', broken, '--iterations', '2', ...SMALL, '--max-stages', '3']);
    expect(first.status, first.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(broken, 'progress.json'), 'utf8')).completed).toHaveLength(3);
    expect((await cli(['run', '--resume', broken, '--max-stages', '7', '--quiet'])).status).toBe(0);
    expect((await cli(['run', '--resume', broken, '--quiet'])).status).toBe(0);
    expect(folderFiles(broken)).toEqual(folderFiles(whole));
  });

  it('trains the final DPO once per --dpo-seeds, keeps the first as M_t, evaluates each and the SFT model, and resumes to the same files', async () => {
    const seeds = join(dir, 'dpo-seeds');
    const r = await cli(['run', '--out', seeds, '--iterations', '2', ...SMALL.filter((a) => a !== '--quiet'), '--dpo-seeds', '2']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^iteration 0: test f1 base \d\.\d{4} → SFT \d\.\d{4} → DPO \d\.\d{4} \(mean of 2 DPO seeds \d\.\d{4} \d\.\d{4}\) /m);
    expect(JSON.parse(readFileSync(join(seeds, 'manifest.json'), 'utf8')).config.dpoSeeds).toBe(2);
    const read = (run: string, t: number, f: string) => readFileSync(join(run, `iter-${t}`, f), 'utf8');
    for (const t of [0, 1]) {
      // DPO seed 0 trains in today's batch order and is what iteration 1 starts from: the same models as the one-seed run.
      for (const f of ['sft.params.json', 'model.params.json']) expect(read(seeds, t, f), `iter-${t}/${f}`).toBe(read(whole, t, f));
      const lines = (f: string) => read(seeds, t, f).split('\n').filter(Boolean).length;
      // Batch order changes the batches only when a batch is smaller than the selection (else
      // every step sees every pair, and only the order of a sum differs).
      if (lines('selected.jsonl') > DEFAULT_TRAINING.batchSize) expect(read(seeds, t, 'model-1.params.json')).not.toBe(read(seeds, t, 'model.params.json'));
      const ev = JSON.parse(read(seeds, t, 'eval.json'));
      expect(ev.perDpoSeed).toHaveLength(2);
      expect(ev.metric).toBeCloseTo((ev.perDpoSeed[0].metric + ev.perDpoSeed[1].metric) / 2, 12);
      expect(ev.meanTokens).toBeCloseTo((ev.perDpoSeed[0].meanTokens + ev.perDpoSeed[1].meanTokens) / 2, 12);
      expect(ev.expected).toBeUndefined();
      // The SFT and DPO seed 0 models score as in the one-seed run.
      const one = JSON.parse(read(whole, t, 'eval.json'));
      expect(ev.sft).toEqual(one.sft);
      expect(ev.perDpoSeed[0]).toEqual(one.perDpoSeed[0]);
      expect(one.metric).toBe(one.perDpoSeed[0].metric);
      expect(JSON.parse(read(seeds, t, 'dpo.json'))).toEqual({ steps: dpoSteps(lines('selected.jsonl'), DEFAULT_TRAINING.batchSize, DEFAULT_TRAINING.dpoEpochs), pairs: lines('selected.jsonl') });
      const stats = JSON.parse(read(seeds, t, 'pair-stats.json'));
      expect(stats.candidates).toBe(trainSize(lines('search/pairs.jsonl'), 0.1)); // the train side of the 90/10 split
      expect(stats.selected).toBe(lines('selected.jsonl'));
      expect(stats.zeroGradient).toBeLessThanOrEqual(stats.candidates);
      expect(stats.selectedZeroGradient).toBeLessThanOrEqual(Math.min(stats.selected, stats.zeroGradient));
      expect(stats.zeroGradientShare).toBeCloseTo(stats.zeroGradient / stats.candidates, 12);
    }
    // Stopped after the selection, then after the DPO stage, then finished: the same files.
    const broken = join(dir, 'dpo-seeds-broken');
    expect((await cli(['run', '--out', broken, '--iterations', '2', ...SMALL, '--dpo-seeds', '2', '--max-stages', '6'])).status).toBe(0);
    expect(existsSync(join(broken, 'iter-0', 'model-1.params.json'))).toBe(false);
    expect((await cli(['run', '--resume', broken, '--max-stages', '1', '--quiet'])).status).toBe(0);
    expect(existsSync(join(broken, 'iter-0', 'eval.json'))).toBe(false);
    expect((await cli(['run', '--resume', broken, '--quiet'])).status).toBe(0);
    expect(folderFiles(broken)).toEqual(folderFiles(seeds));
  });

  it('refuses --expected-metric over a server: it needs the simulated model in process', async () => {
    const r = await cli(['run', '--out', join(dir, 'expected-http'), ...SMALL, '--expected-metric', '0.7', '--backend', 'openai', '--endpoint', 'http://127.0.0.1:9', '--trainer-url', 'http://127.0.0.1:9/sim/train']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--expected-metric');
  });

  it('with --expected-metric, scores every DPO model and the SFT model by the expected test metric', async () => {
    const out = join(dir, 'expected');
    const r = await cli(['run', '--out', out, '--iterations', '1', ...SMALL, '--dpo-seeds', '2', '--expected-metric', '0.7']);
    expect(r.status, r.stderr).toBe(0);
    const ev = JSON.parse(readFileSync(join(out, 'iter-0', 'eval.json'), 'utf8'));
    expect(ev.expected.temperature).toBe(0.7);
    expect(ev.expected.perDpoSeed).toHaveLength(2);
    expect(ev.expected.metric).toBeCloseTo((ev.expected.perDpoSeed[0] + ev.expected.perDpoSeed[1]) / 2, 12);
    for (const m of [...ev.expected.perDpoSeed, ev.expected.sft]) {
      expect(m).toBeGreaterThanOrEqual(0);
      expect(m).toBeLessThanOrEqual(1);
    }
    expect(ev.expected.minMass).toBeGreaterThan(0);
    expect(ev.expected.minMass).toBeLessThanOrEqual(1 + 1e-9);
    // The expected metric does not change the greedy evaluation.
    const plain = join(dir, 'expected-off');
    expect((await cli(['run', '--out', plain, '--iterations', '1', ...SMALL, '--dpo-seeds', '2'])).status).toBe(0);
    const off = JSON.parse(readFileSync(join(plain, 'iter-0', 'eval.json'), 'utf8'));
    expect({ ...ev, expected: undefined }).toEqual({ ...off, expected: undefined });
  });

  it('runs influence-guided search with --policy dits, probing during the search', async () => {
    const out = join(dir, 'dits');
    const r = await cli(['run', '--out', out, '--iterations', '1', '--policy', 'dits', ...SMALL]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).config.searchPolicy).toBe('dits');
    // The probes during the search are charged to the influence meter on top of the probes stage's.
    const plain = JSON.parse(readFileSync(join(whole, 'iter-0', 'meters.json'), 'utf8'));
    const guided = JSON.parse(readFileSync(join(out, 'iter-0', 'meters.json'), 'utf8'));
    expect(guided.influence.calls).toBeGreaterThan(plain.influence.calls);
  });

  it('keeps the search and the probes within their shares of --budget-tokens, and stops them cleanly', async () => {
    const out = join(dir, 'budget');
    const budget = 30_000;
    const r = await cli(['run', '--out', out, '--iterations', '2', ...SMALL, '--budget-tokens', String(budget), '--influence-share', '0.25']);
    expect(r.status, r.stderr).toBe(0);
    const m0 = JSON.parse(readFileSync(join(out, 'iter-0', 'meters.json'), 'utf8'));
    const m1 = JSON.parse(readFileSync(join(out, 'iter-1', 'meters.json'), 'utf8'));
    expect(m0.q.tokens).toBeLessThanOrEqual(budget * 0.75);
    expect(m0.influence.tokens).toBeLessThanOrEqual(budget * 0.25);
    expect(m1.q.tokens - m0.q.tokens).toBeLessThanOrEqual(budget * 0.75);
    expect(m1.influence.tokens - m0.influence.tokens).toBeLessThanOrEqual(budget * 0.25);
    const probes = JSON.parse(readFileSync(join(out, 'iter-0', 'influence.json'), 'utf8'));
    const search = JSON.parse(readFileSync(join(out, 'iter-0', 'search', 'summary.json'), 'utf8'));
    expect(probes.stoppedByBudget || search.stoppedByBudget).toBe(true);
    expect((await cli(['run', '--out', join(dir, 'nope'), '--budget-tokens', '100', '--policy', 'dits', ...SMALL])).status).toBe(2);
  });

  it('refuses to start over an existing run without --resume or --overwrite', async () => {
    const r = await cli(['run', '--out', whole, '--iterations', '2', ...SMALL]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--resume');
    expect((await cli(['run', '--resume', join(dir, 'nothing-here')])).status).toBe(2);
  });
});
