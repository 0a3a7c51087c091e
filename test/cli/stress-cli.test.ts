/** `dits stress` as a user runs it: a report per invariant, exit codes, and replay commands that reproduce. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir } from './helpers.ts';

/** The argv of a printed `dits ...` command line (the report quotes only what needs it). */
function argvOf(line: string): string[] {
  const args = [...line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : (m[2] as string)));
  expect(args.slice(0, 1)).toEqual(['dits']);
  return args.slice(1);
}

describe('dits stress', () => {
  it('passes a built-in, thread check included, and says what each invariant guarantees', async () => {
    const r = await cli(['stress', 'optima', '--runs', '15', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    for (const id of ['legal-node', 'backup', 'one-expansion-at-a-time', 'budget', 'deterministic', 'degenerate-trees', 'rule', 'thread-independent']) {
      expect(r.stdout).toMatch(new RegExp(`^held +${id} `, 'm'));
    }
    expect(r.stdout.trim().split('\n').at(-1)).toBe('8 held, 0 broken');
  });

  it('catches a policy that returns a terminal node, and its replay command reproduces the same shrunk case', async () => {
    const r = await cli(['stress', 'test/fixtures/policies/returns-terminal.ts', '--runs', '50', '--no-threads', '--quiet', '--invariant', 'legal-node']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('returns-terminal: 1 of 1 invariants broken');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toMatch(/^BROKEN +legal-node/m);
    const caseLine = r.stdout.match(/^ +case: +(.*)$/m)?.[1];
    expect(caseLine).toBeTruthy();
    const replay = r.stdout.match(/^ +replay: +(.*)$/m)?.[1] as string;
    expect(replay).toContain('--path');
    const again = await cli([...argvOf(replay), '--no-threads', '--quiet']);
    expect(again.status).toBe(1);
    expect(again.stdout.match(/^ +case: +(.*)$/m)?.[1]).toBe(caseLine);
  });

  it('--out keeps each finished invariant, so the same command again reports them without checking again', async () => {
    const out = join(tempDir('dits-stress-'), 'stress.json');
    const args = ['stress', 'random', '--runs', '10', '--no-threads', '--out', out];
    const first = await cli(args);
    expect(first.status, first.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).outcomes).toHaveLength(8);
    const again = await cli(args);
    expect(again.stderr).toContain('8 invariants finished earlier are not checked again');
    expect(again.stdout).toBe(first.stdout);
    const other = await cli(['stress', 'random', '--runs', '11', '--no-threads', '--out', out]);
    expect(other.status).toBe(2);
    expect(other.stderr).toContain('holds a stress check with other settings');
  });

  it('refuses bad input with exit 2', async () => {
    expect((await cli(['stress', 'optima', '--rule', 'nope'])).stderr).toContain('--rule nope: no such rule');
    expect((await cli(['stress', 'optima', '--rule', 'nope'])).status).toBe(2);
    expect((await cli(['stress', 'optima', '--path', '0:1'])).status).toBe(2);
    expect((await cli(['stress', 'optima', '--invariant', 'fast'])).stderr).toContain("unknown invariant 'fast'");
    expect((await cli(['stress', 'no-such-policy'])).status).toBe(2);
  });
});
