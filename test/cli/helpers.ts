import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `dits` entry point in a child process, as a user would. */
export function dits(args: string[], cwd = REPO): CliResult {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/dits.mjs'), ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs `dits` in this process through cli/main.ts's runCli: the arguments, exit code and output
 * of `dits()` without a process start (about a second each). Tests that need a real process
 * (signals, kill -9, the entry point itself) use `dits()`.
 */
export async function cli(args: string[], cwd = REPO): Promise<CliResult> {
  // Imported here, not at the top: files that use only tempDir or folderFiles do not load the CLI.
  const { runCli } = await import('../../cli/main.ts');
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), cwd });
  return { status, stdout, stderr };
}

export function tempDir(prefix = 'dits-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Every file under `dir` by relative path, as base64: two folders compare equal only when byte-identical. */
export function folderFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}
