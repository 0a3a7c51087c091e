/**
 * What `dits run` prints: per iteration the base model's, the SFT model's and the DPO model's
 * test score, what the meters spent ("budget" only when there is one), and at the end the
 * files to open.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.ts';

const SIZES = ['--iterations', '2', '--sft-tasks', '4', '--sft-samples', '2', '--search-tasks', '6', '--validation', '2', '--test-tasks', '4'];
const SCORE = String.raw`\d\.\d{4}`;

describe('dits run prints', () => {
  it('each iteration with the base and SFT scores beside the DPO one, what it spent, and the files to open', async () => {
    const out = join(tempDir(), 'run');
    const r = await cli(['run', ...SIZES, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    for (const t of [0, 1]) {
      expect(lines[t]).toMatch(new RegExp(`^iteration ${t}: test f1 base ${SCORE} → SFT ${SCORE} → DPO ${SCORE}  tokens/dialogue [\\d.]+  pairs kept \\d+/\\d+  Q spent [\\d,]+ calls / [\\d,]+ tokens  influence spent [\\d,]+ calls / [\\d,]+ tokens$`));
    }
    // One base model, one score: the same in both lines.
    const base = (line: string) => /base (\S+)/.exec(line)?.[1];
    expect(base(lines[1] as string)).toBe(base(lines[0] as string));
    expect(lines.slice(0, 2).join('\n')).not.toContain('budget');
    expect(lines[2]).toMatch(new RegExp(`^done in [\\d.]+ s \\(in the main thread\\); wrote ${out}$`));
    const files = lines.slice(3).map((l) => l.trim().split(/\s{2,}/)[0] as string);
    expect(files).toEqual(['report.html', 'metrics.json', 'iter-1/sft-data.jsonl', 'iter-1/selected.jsonl', 'iter-1/search/pairs.jsonl'].map((f) => join(out, f)));
    for (const f of files) expect(existsSync(f), f).toBe(true);
  }, 120_000);

  it('the budget beside what was spent, when --budget-tokens sets one', async () => {
    const r = await cli(['run', ...SIZES, '--iterations', '1', '--budget-tokens', '40000', '--influence-share', '0.25', '--out', join(tempDir(), 'run')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Q spent [\d,]+ calls \/ [\d,]+ of 30,000 tokens  influence spent [\d,]+ calls \/ [\d,]+ of 10,000 tokens/);
  }, 120_000);
});
