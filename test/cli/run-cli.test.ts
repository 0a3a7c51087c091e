import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dits, folderFiles, tempDir } from './helpers.ts';

const SMALL = ['--sft-tasks', '16', '--sft-samples', '4', '--search-tasks', '16', '--validation', '8', '--test-tasks', '20', '--quiet'];

describe('dits run', () => {
  const dir = tempDir();
  const whole = join(dir, 'whole');

  it('runs the iterations and writes every stage\'s outputs and per-iteration metrics', () => {
    const r = dits(['run', '--out', whole, '--iterations', '2', ...SMALL]);
    expect(r.status, r.stderr).toBe(0);
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

  it('continues a stopped run with --resume and ends with the same files as an unbroken run', () => {
    const broken = join(dir, 'broken');
    const first = dits(['run', '--out', broken, '--iterations', '2', ...SMALL, '--max-stages', '3']);
    expect(first.status, first.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(broken, 'progress.json'), 'utf8')).completed).toHaveLength(3);
    expect(dits(['run', '--resume', broken, '--max-stages', '7', '--quiet']).status).toBe(0);
    expect(dits(['run', '--resume', broken, '--quiet']).status).toBe(0);
    expect(folderFiles(broken)).toEqual(folderFiles(whole));
  });

  it('runs influence-guided search with --policy dits, probing during the search', () => {
    const out = join(dir, 'dits');
    const r = dits(['run', '--out', out, '--iterations', '1', '--policy', 'dits', ...SMALL]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).config.searchPolicy).toBe('dits');
    // The probes during the search are charged to the influence meter on top of the probes stage's.
    const plain = JSON.parse(readFileSync(join(whole, 'iter-0', 'meters.json'), 'utf8'));
    const guided = JSON.parse(readFileSync(join(out, 'iter-0', 'meters.json'), 'utf8'));
    expect(guided.influence.calls).toBeGreaterThan(plain.influence.calls);
  });

  it('keeps the search and the probes within their shares of --budget-tokens, and stops them cleanly', () => {
    const out = join(dir, 'budget');
    const budget = 30_000;
    const r = dits(['run', '--out', out, '--iterations', '2', ...SMALL, '--budget-tokens', String(budget), '--influence-share', '0.25']);
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
    expect(dits(['run', '--out', join(dir, 'nope'), '--budget-tokens', '100', '--policy', 'dits', ...SMALL]).status).toBe(2);
  });

  it('refuses to start over an existing run without --resume or --overwrite', () => {
    const r = dits(['run', '--out', whole, '--iterations', '2', ...SMALL]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--resume');
    expect(dits(['run', '--resume', join(dir, 'nothing-here')]).status).toBe(2);
  });
});
