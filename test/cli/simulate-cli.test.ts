import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.ts';

const GSM8K_ROWS = [
  { question: 'Tom has 3 bags with 4 apples each. How many apples does he have?', answer: 'Each bag has 4 apples.\n3*4=<<3*4=12>>12\n#### 12' },
  { question: 'A shop sells 1,200 pens a day. How many in 2 days?', answer: '1200*2=<<1200*2=2400>>2400\n#### 2,400' },
  { question: 'Sara reads 15 pages a day for 6 days, then 10 more pages. How many pages?', answer: '15*6=<<15*6=90>>90\n90+10=<<90+10=100>>100\n#### 100' },
];

function gsm8kFile(dir: string, extra = ''): string {
  const file = join(dir, 'gsm8k.jsonl');
  writeFileSync(file, GSM8K_ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n' + extra);
  return file;
}

function runFolder(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

describe('dits simulate', () => {
  it('same seed gives byte-identical run folders; another seed gives other dialogues', async () => {
    const dir = tempDir();
    const tasks = gsm8kFile(dir);
    const run = (seed: string, out: string) => cli(['simulate', '--scenario', 'gsm8k', '--tasks', tasks, '--backend', 'sim', '--seed', seed, '--out', join(dir, out), '--quiet']);
    for (const [seed, out] of [['1', 'a'], ['1', 'b'], ['2', 'c']] as const) expect((await run(seed, out)).status).toBe(0);
    const a = runFolder(join(dir, 'a'));
    expect(Object.keys(a)).toEqual(['manifest.json', 'summary.json', 'trajectories.jsonl']);
    expect(runFolder(join(dir, 'b'))).toEqual(a);
    const c = runFolder(join(dir, 'c'));
    const utterances = (f: Record<string, string>) => (f['trajectories.jsonl'] ?? '').trim().split('\n').map((l) => JSON.parse(l).utterances.map((u: { text: string }) => u.text));
    expect(utterances(c)).not.toEqual(utterances(a));
  });

  it('writes one scored, rewarded record per task, in task order', async () => {
    const dir = tempDir();
    const r = await cli(['simulate', '--scenario', 'gsm8k', '--tasks', gsm8kFile(dir), '--out', join(dir, 'o'), '--seed', '3']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/3 dialogues\s+mean em \d\.\d{4}\s+mean tokens [\d.]+\s+mean reward -?[\d.]+\s+wall [\d.]+ s/);
    const lines = readFileSync(join(dir, 'o', 'trajectories.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.task_id)).toEqual(['gsm8k-0', 'gsm8k-1', 'gsm8k-2']);
    for (const t of lines) {
      expect(t.utterances[0].text).toMatch(/^Alice: /);
      expect(t.answers).toHaveLength(1);
      expect(t.score === 0 || t.score === 1).toBe(true);
      expect(t.reward.total).toBeCloseTo(t.reward.correct + t.reward.token_score + t.reward.ppl_score, 12);
      expect(t.token_count).toBe(t.utterances.reduce((s: number, u: { tokens: number }) => s + u.tokens, 0));
    }
    expect(lines[1].answers).toEqual(['2400']);
    const summary = JSON.parse(readFileSync(join(dir, 'o', 'summary.json'), 'utf8'));
    expect(summary.dialogues).toBe(3);
    expect(summary.mean_score).toBeCloseTo(lines.reduce((s, t) => s + t.score, 0) / 3, 12);
  });

  it('stops at a bad dataset row with file and line (exit 2), or skips it with --skip-bad-rows', async () => {
    const dir = tempDir();
    const tasks = gsm8kFile(dir, '{"question": "no answer field"}\n');
    const fail = await cli(['simulate', '--scenario', 'gsm8k', '--tasks', tasks, '--out', join(dir, 'x'), '--quiet']);
    expect(fail.status).toBe(2);
    expect(fail.stderr).toContain(`${tasks}:4:`);
    expect(fail.stderr).toContain("'answer'");
    const skip = await cli(['simulate', '--scenario', 'gsm8k', '--tasks', tasks, '--out', join(dir, 'y'), '--skip-bad-rows', '--quiet']);
    expect(skip.status).toBe(0);
    expect(skip.stderr).toMatch(/skipped bad row: .*:4:/);
    expect(JSON.parse(readFileSync(join(dir, 'y', 'summary.json'), 'utf8'))).toMatchObject({ dialogues: 3, bad_rows_skipped: 1 });
  });

  it('runs information exchange on generated tasks', async () => {
    const dir = tempDir();
    const r = await cli(['simulate', '--scenario', 'hotpotqa', '--generate', '12', '--out', join(dir, 'ie'), '--quiet']);
    expect(r.status).toBe(0);
    const lines = readFileSync(join(dir, 'ie', 'trajectories.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(12);
    expect(lines[0].agents.map((a: { information: string[] }) => a.information.length > 0)).toEqual([true, true]);
  });
});
