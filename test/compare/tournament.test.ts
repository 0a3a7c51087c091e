/** Policy tournaments: the paired summary, and `dits compare --policies` end to end (reuse, a changed policy file). */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeTournament, type TournamentRun } from '../../actors/tournament.ts';
import { cli, dits, REPO, tempDir } from '../cli/helpers.ts';

const run = (policy: string, seed: number, testMetric: number, pairs: number): TournamentRun => ({
  policy,
  seed,
  dir: `runs/${policy}-seed${seed}`,
  rootValue: 0.5,
  bestRollout: 1,
  pairs,
  firstTurnBranches: 2,
  qTokens: 1000,
  tasksSearched: 10,
  testMetric,
  sftMetric: 0.5,
});

describe('summarizeTournament', () => {
  it('pairs each policy with the first seed by seed, whatever order the runs come in', () => {
    const entries = [{ name: 'a', policy: { source: 'optima', params: {} } }, { name: 'b', policy: { source: 'uct', params: {} } }];
    const runs = [run('b', 1, 0.7, 12), run('a', 0, 0.5, 10), run('a', 1, 0.6, 10), run('b', 0, 0.55, 14)];
    const [a, b] = summarizeTournament(entries, runs);
    expect(a?.versusFirst).toBeUndefined();
    expect(a?.measures.testMetric.mean).toBeCloseTo(0.55, 12);
    // Differences per seed: 0.05 and 0.1 -> mean 0.075; pairs: 4 and 2 -> 3.
    expect(b?.versusFirst?.testMetric.mean).toBeCloseTo(0.075, 12);
    expect(b?.versusFirst?.pairs.mean).toBeCloseTo(3, 12);
    expect(b?.versusFirst?.pairs.n).toBe(2);
    expect(b?.versusFirst?.qTokens.mean).toBe(0);
  });
});

// In child processes (dits(), not cli()): a policy file outside the checkout that imports 'dits', and
// one changed between runs, load through Node's module hooks, which vitest's module runner would bypass.
describe('dits compare --policies', () => {
  const dir = tempDir('dits-tournament-');
  const policy = join(dir, 'mine.ts');
  cpSync(join(REPO, 'test/fixtures/policies/deepest-first.ts'), policy);
  // The fixture imports the engine by a path inside the repo; a user's file imports 'dits'.
  writeFileSync(policy, readFileSync(policy, 'utf8').replaceAll('../../../engine/search/policy.ts', 'dits'));
  const out = join(dir, 'tour');
  const args = ['compare', '--policies', `optima,${policy}`, '--seeds', '2', '--sft-tasks', '12', '--search-tasks', '8', '--validation', '4', '--test-tasks', '12', '--dpo-seeds', '1', '--budget-tokens', '40000', '--out', out];

  it('runs every policy on every seed, pairs them against the first, and reuses finished runs', () => {
    const first = dits(args);
    expect(first.status, first.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'tournament.json'), 'utf8'));
    expect(results.entries.map((e: { name: string }) => e.name)).toEqual(['optima', 'mine']);
    expect(results.runs).toHaveLength(4);
    for (const r of results.runs) expect(r.qTokens).toBeLessThanOrEqual(40000);
    expect(results.rows[1].versusFirst.testMetric.n).toBe(2);
    const report = readFileSync(join(out, 'tournament.md'), 'utf8');
    expect(report).toContain('## Paired against optima, seed by seed');
    expect(report).toMatch(/^\| mine \|/m);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('runs/mine-seed1/report.html');
    const again = dits(args);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout.match(/\(reused\)/g)).toHaveLength(4);
    expect(readFileSync(join(out, 'tournament.json'), 'utf8')).toBe(JSON.stringify(results, null, 2) + '\n');
  });

  it('refuses to reuse runs of a policy file that has changed since', () => {
    writeFileSync(policy, readFileSync(policy, 'utf8') + '\n// edited\n');
    const r = dits(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('a policy file that changed has another hash');
  });

  it('needs two policies', async () => {
    const r = await cli(['compare', '--policies', 'optima']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('a tournament needs two or more policies');
  });
});
