import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spearman } from '../../engine/influence/correlation.ts';
import { trainSide } from '../../actors/run-stages.ts';
import { cli, tempDir } from './helpers.ts';

const SMALL = ['--sft-tasks', '16', '--sft-samples', '4', '--search-tasks', '16', '--validation', '8', '--test-tasks', '20', '--quiet'];

interface InfluenceFile {
  baseline: number;
  groups: { id: number; members: number[]; influence: number }[];
}

interface FirstOrderFile {
  groups: { id: number; influence: number; firstOrder: number }[];
  spearman: number | null;
}

describe('dits analyze utility', () => {
  const dir = tempDir();
  const run = join(dir, 'run');
  const read = (f: string) => readFileSync(join(run, 'iter-0', f), 'utf8');
  let influence: InfluenceFile;
  let firstOrder: FirstOrderFile;

  beforeAll(async () => {
    const r = await cli(['run', '--out', run, '--iterations', '1', ...SMALL]);
    expect(r.status, r.stderr).toBe(0);
    influence = JSON.parse(read('influence.json')) as InfluenceFile;
    firstOrder = JSON.parse(read('first-order.json')) as FirstOrderFile;
  }, 120_000);

  it('the probes stage writes a first-order estimate per group and their Spearman correlation with probe influence', async () => {
    expect(influence.groups.length).toBeGreaterThan(2);
    expect(firstOrder.groups.map((g) => [g.id, g.influence])).toEqual(influence.groups.map((g) => [g.id, g.influence]));
    for (const g of firstOrder.groups) expect(Number.isFinite(g.firstOrder)).toBe(true);
    expect(new Set(firstOrder.groups.map((g) => g.firstOrder)).size).toBeGreaterThan(1);
    expect(typeof firstOrder.spearman).toBe('number');
    expect(firstOrder.spearman).toBeGreaterThanOrEqual(-1);
    expect(firstOrder.spearman).toBeLessThanOrEqual(1);
    expect(firstOrder.spearman).toBeCloseTo(spearman(firstOrder.groups.map((g) => g.influence), firstOrder.groups.map((g) => g.firstOrder)), 12);
  });

  it('writes utility.md and utility.json with the sampled groups and three correlations, and prints the table', async () => {
    const r = await cli(['analyze', 'utility', run, '--sample', '5', '--repeats', '2']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(read('utility.json'));
    expect(report.iteration).toBe(0);
    expect(report.base).toBe('pool');
    expect(report.groups).toHaveLength(5);
    expect(report.dpoSeeds).toHaveLength(2);
    expect(report.metricWithBySeed).toHaveLength(2);
    expect(report.testTasks).toBe(20);
    const byId = new Map(influence.groups.map((g) => [g.id, g]));
    const firstOrderById = new Map(firstOrder.groups.map((g) => [g.id, g.firstOrder]));
    // Probe groups index the candidate pool: the train side of the pairs' 90/10 split (run seed 0).
    const pairs = trainSide(read('search/pairs.jsonl').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { chosen_value: number }), 0);
    for (const g of report.groups) {
      const probed = byId.get(g.id);
      expect(probed, `group ${g.id}`).toBeDefined();
      expect(g.members).toEqual(probed?.members);
      expect(g.influence).toBe(probed?.influence);
      expect(g.firstOrder).toBe(firstOrderById.get(g.id));
      expect(g.meanQ).toBeCloseTo(g.members.reduce((s: number, i: number) => s + (pairs[i]?.chosen_value as number), 0) / g.members.length, 12);
      expect(g.gain).toBeCloseTo(report.metricWith - g.metricWithout, 12);
      expect(g.metricWithoutBySeed).toHaveLength(2);
    }
    const gains = report.groups.map((g: { gain: number }) => g.gain);
    for (const [key, column] of [['q', 'meanQ'], ['influence', 'influence'], ['firstOrder', 'firstOrder']] as const) {
      const expected = spearman(gains, report.groups.map((g: Record<string, number>) => g[column]));
      if (Number.isNaN(expected)) expect(report.spearman[key]).toBeNull();
      else expect(report.spearman[key]).toBeCloseTo(expected, 12);
    }
    const md = read('utility.md');
    expect(r.stdout).toBe(md);
    for (const g of report.groups) expect(md).toMatch(new RegExp(`^\\| ${g.id} \\| ${g.members.length} \\| `, 'm'));
    for (const label of ['mean Q', 'probe influence', 'first-order']) expect(md).toMatch(new RegExp(`^\\| ${label} \\| `, 'm'));
    const svg = read('utility.svg');
    expect(svg).toMatch(/^<svg /);
    for (const label of ['mean Q of the group', 'probe influence', 'first-order estimate']) expect(svg).toContain(label);
  });

  it('is deterministic, and a smaller sample is a subset of a larger one', async () => {
    const first = read('utility.json');
    expect((await cli(['analyze', 'utility', run, '--sample', '5', '--repeats', '2', '--quiet'])).status).toBe(0);
    expect(read('utility.json')).toBe(first);
    expect((await cli(['analyze', 'utility', run, '--iteration', '0', '--sample', '3', '--repeats', '2', '--quiet'])).status).toBe(0);
    const ids = (s: string) => (JSON.parse(s).groups as { id: number }[]).map((g) => g.id);
    const small = ids(read('utility.json'));
    expect(small).toHaveLength(3);
    for (const id of small) expect(ids(first)).toContain(id);
  });

  it('--method subsets writes utility-subsets.json and .md with the fit, the split half and three bootstrap intervals, and prints the summary', async () => {
    const args = ['analyze', 'utility', run, '--method', 'subsets', '--subsets', '12', '--bootstrap', '200'];
    const r = await cli(args);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('12/12');
    const report = JSON.parse(read('utility-subsets.json'));
    expect(report.method).toBe('subsets');
    expect(report.design).toMatchObject({ subsets: 12, alpha: 0.5, groupsPerSubset: Math.round(influence.groups.length / 2), seed: 0 });
    expect(report.subsets).toHaveLength(12);
    for (const s of report.subsets) expect(s.groups).toHaveLength(report.design.groupsPerSubset);
    expect(report.groups.map((g: { id: number }) => g.id)).toEqual(influence.groups.map((g) => g.id));
    expect(report.groups.reduce((s: number, g: { value: number }) => s + g.value, 0)).toBeCloseTo(0, 6);
    expect(report.splitHalf.sizes).toEqual([6, 6]);
    for (const key of ['q', 'influence', 'firstOrder']) {
      const b = report.spearman[key];
      if (b.rho === null) continue;
      expect(b.lo).toBeLessThanOrEqual(b.hi);
      expect(b.resamples).toBe(200);
    }
    const md = read('utility-subsets.md');
    expect(md.startsWith(r.stdout.split('\nPer-group values:')[0] as string)).toBe(true);
    for (const g of report.groups) expect(md).toMatch(new RegExp(`^\\| ${g.id} \\| ${g.pairs} \\| `, 'm'));
    const first = read('utility-subsets.json');
    expect((await cli([...args, '--quiet'])).status).toBe(0);
    expect(read('utility-subsets.json')).toBe(first);
  });

  it('refuses a flag of the other method', async () => {
    const r = await cli(['analyze', 'utility', run, '--method', 'subsets', '--repeats', '2']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--repeats');
  });

  it('refuses a folder without a run and an iteration that was not probed', async () => {
    const none = await cli(['analyze', 'utility', join(dir, 'nothing')]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('manifest.json');
    const later = await cli(['analyze', 'utility', run, '--iteration', '3']);
    expect(later.status).toBe(2);
    expect(later.stderr).toContain('iteration 3');
  });
});
