/**
 * The real entry point, bin/dits.mjs in a child process, against the in-process runner (cli())
 * that most CLI tests use: for one command of each family, the same exit code, the same stdout
 * and stderr, and the same output folder, byte for byte. Each side works in a folder of its own
 * with relative paths, so the runner's cwd is exercised too.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, dits, folderFiles, REPO, tempDir, type CliResult } from './helpers.ts';

const dir = tempDir('dits-entry-');
const childDir = join(dir, 'child');
const inProcessDir = join(dir, 'in-process');
mkdirSync(childDir);
mkdirSync(inProcessDir);

interface Both {
  child: CliResult;
  inProcess: CliResult;
}

/** `args` through bin/dits.mjs in `childDir`, then through cli() in `inProcessDir`. */
async function bothWays(args: string[]): Promise<Both> {
  const child = dits(args, childDir);
  const inProcess = await cli(args, inProcessDir);
  return { child, inProcess };
}

/** The same exit code (the expected one), output and, under `out`, files. */
function expectSame(r: Both, status: number, out?: string): void {
  expect(r.child.status, r.child.stderr).toBe(status);
  expect(r.inProcess).toEqual(r.child);
  if (out !== undefined) {
    const files = folderFiles(join(childDir, out));
    expect(Object.keys(files).length).toBeGreaterThan(0);
    expect(folderFiles(join(inProcessDir, out))).toEqual(files);
  }
}

describe('bin/dits.mjs and the in-process runner', () => {
  it('an in-process run leaves this process as it found it: cwd, exit code, streams and signal listeners', async () => {
    const before = { cwd: process.cwd(), exitCode: process.exitCode, write: process.stdout.write, errWrite: process.stderr.write, sigint: process.listenerCount('SIGINT') };
    const r = await cli(['search', '--scenario', 'gsm8k', '--generate', '2', '--selections', '2', '--rollouts', '2', '--out', 'leaves', '--quiet'], inProcessDir);
    expect(r.status, r.stderr).toBe(0);
    expect(folderFiles(join(inProcessDir, 'leaves'))).toHaveProperty(['summary.json']);
    const after = { cwd: process.cwd(), exitCode: process.exitCode, write: process.stdout.write, errWrite: process.stderr.write, sigint: process.listenerCount('SIGINT') };
    expect(after).toEqual(before);
    expect((await cli(['no-such-command'])).status).toBe(2);
    expect(process.exitCode).toBe(before.exitCode);
  });

  it('--help and a usage error: the same text and exit codes 0 and 2', async () => {
    expectSame(await bothWays(['search', '--help']), 0);
    const bad = await bothWays(['simulate', '--scenario', 'gsm8k', '--seed', 'abc']);
    expectSame(bad, 2);
    expect(bad.child.stderr).toMatch(/--seed/);
  });

  it('simulate and search (in two worker threads): the same folders', async () => {
    expectSame(await bothWays(['simulate', '--scenario', 'hotpotqa', '--generate', '4', '--out', 'sim', '--quiet']), 0, 'sim');
    expectSame(await bothWays(['search', '--scenario', 'gsm8k', '--generate', '4', '--selections', '2', '--rollouts', '2', '--threads', '2', '--out', 'search', '--quiet']), 0, 'search');
  }, 60_000);

  describe('on a run', () => {
    let run: Both;
    beforeAll(async () => {
      run = await bothWays(['run', '--iterations', '1', '--sft-tasks', '8', '--sft-samples', '2', '--search-tasks', '6', '--validation', '4', '--test-tasks', '6', '--out', 'run', '--quiet']);
    }, 60_000);

    it('run: the same folder', () => {
      expectSame(run, 0, 'run');
    });

    it('analyze utility: the same output, and the same files written into the run', async () => {
      expectSame(await bothWays(['analyze', 'utility', 'run', '--sample', '3', '--repeats', '2']), 0, 'run');
    }, 60_000);
  });

  it('stress: the same report, and exit code 1 for a broken invariant', async () => {
    const r = await bothWays(['stress', join(REPO, 'test/fixtures/policies/returns-terminal.ts'), '--runs', '20', '--no-threads', '--quiet', '--invariant', 'legal-node']);
    expectSame(r, 1);
    expect(r.child.stdout).toMatch(/^BROKEN +legal-node/m);
  }, 60_000);
});
