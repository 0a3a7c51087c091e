import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as schemas from '../../engine/export/schemas.ts';
import { readTreeRecords } from '../../engine/tree/codec.ts';
import { cli, REPO, tempDir } from './helpers.ts';

function files(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p);
    }
  };
  walk(dir);
  return out;
}

const jsonl = (file: string) => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('dits search', () => {
  const dir = tempDir();
  const run = (out: string, ...extra: string[]) =>
    cli(['search', '--scenario', 'gsm8k', '--generate', '24', '--seed', '5', '--out', join(dir, out), '--quiet', ...extra]);

  it('gives byte-identical run folders for the same seed, whatever the concurrency', async () => {
    expect((await run('a')).status).toBe(0);
    expect((await run('b', '--concurrency', '1')).status).toBe(0);
    const a = files(join(dir, 'a'));
    expect(Object.keys(a)).toEqual(expect.arrayContaining(['manifest.json', 'summary.json', 'pairs.jsonl', 'trees.msgpack', 'datasets/trl/dpo_train.jsonl']));
    const b = files(join(dir, 'b'));
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const f of Object.keys(a)) if (f !== 'manifest.json') expect(b[f]?.equals(a[f] as Buffer), f).toBe(true);
  });

  it('spends the default budget: 8 selections x 3 rollouts per task', async () => {
    const summary = JSON.parse(readFileSync(join(dir, 'a', 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ tasks: 24, rollouts: 24 * 24 });
    const trees = readTreeRecords(join(dir, 'a', 'trees.msgpack'));
    expect(trees).toHaveLength(24);
    for (const t of trees) {
      expect(t.visits[0]).toBe(24);
      expect(t.selected).toHaveLength(8);
    }
  });

  it('writes pairs with provenance that meet the scenario\'s thresholds', async () => {
    const pairs = jsonl(join(dir, 'a', 'pairs.jsonl'));
    expect(pairs.length).toBeGreaterThan(0);
    for (const p of pairs) {
      expect(p.chosen_value).toBeGreaterThan(0.45);
      expect(p.gap).toBeGreaterThan(0.2);
      expect(p.prompt[0].role).toBe('system');
      expect(p.chosen.startsWith(`${p.speaker}:`)).toBe(true);
      expect(Array.isArray(p.node_path)).toBe(true);
    }
  });

  it('writes datasets every trainer\'s schema accepts', async () => {
    const d = join(dir, 'a', 'datasets');
    const check = (schema: { safeParse: (v: unknown) => { success: boolean } }, file: string) => {
      const rows = jsonl(join(d, file));
      for (const r of rows) expect(schema.safeParse(r).success, file).toBe(true);
      return rows.length;
    };
    expect(check(schemas.trlDpoRow, 'trl/dpo_train.jsonl')).toBeGreaterThan(0);
    check(schemas.trlSftMessagesRow, 'trl/sft_train.jsonl');
    check(schemas.handbookDpoRow, 'alignment-handbook/dpo_train.jsonl');
    check(schemas.openrlhfDpoRow, 'openrlhf/dpo_train.jsonl');
    check(schemas.llamaFactoryDpoRow, 'llama-factory/dpo_train.jsonl');
    check(schemas.axolotlDpoRow, 'axolotl/dpo_train.jsonl');
    check(schemas.axolotlSftRow, 'axolotl/sft_train.jsonl');
  });

  it('shows a task\'s tree as text and as DOT', async () => {
    const text = await cli(['tree', 'show', join(dir, 'a'), '--task', 'gen-arith-3']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^task gen-arith-3  Q=-?\d\.\d{3} N=24/);
    expect(text.stdout).toContain('├─ [Q=');
    const dot = await cli(['tree', 'show', join(dir, 'a'), '--task', 'gen-arith-3', '--format', 'dot']);
    expect(dot.stdout).toMatch(/^digraph "task gen-arith-3" \{/);
    expect((await cli(['tree', 'show', join(dir, 'a'), '--task', 'nope'])).status).toBe(2);
  });

  it('runs a policy written outside the engine, unchanged', async () => {
    const policy = join(REPO, 'test/fixtures/policies/deepest-first.ts');
    const r = await cli(['search', '--scenario', 'hotpotqa', '--generate', '6', '--policy', policy, '--out', join(dir, 'ext'), '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'ext', 'manifest.json'), 'utf8'));
    expect(manifest.policy).toMatchObject({ name: 'deepest-first', selections: 6, rollouts: 2 });
    expect(JSON.parse(readFileSync(join(dir, 'ext', 'summary.json'), 'utf8')).rollouts).toBe(6 * 12);
  });

  it('rejects a bad policy module with exit 2', async () => {
    const r = await cli(['search', '--scenario', 'gsm8k', '--generate', '2', '--policy', join(REPO, 'package.json'), '--out', join(dir, 'bad'), '--quiet']);
    expect(r.status).toBe(2);
  });
});
