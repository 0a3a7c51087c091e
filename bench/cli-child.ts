/**
 * The real CLI as a child process, measured from outside: `node [nodeFlags] bin/dits.mjs ARGS`.
 * Wall time is the parent's clock around the child; CPU (user + system) and peak RSS are the
 * child's, from GNU time (%U %S %M) or, when /usr/bin/time is missing, from getrusage in the
 * child at exit. One process, so every worker thread is in them.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface ChildFigures {
  wallS: number;
  cpuS: number;
  peakRssBytes: number;
}

export const ROOT = resolve(import.meta.dirname, '..');
const DITS = join(ROOT, 'bin', 'dits.mjs');
const TIME = '/usr/bin/time';
export const HAS_TIME = existsSync(TIME);

const work = mkdtempSync(join(tmpdir(), 'dits-bench-child-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

/** Fallback when GNU time is missing: the child reports its own getrusage at exit. */
const RUSAGE_PRELOAD = join(work, 'rusage.mjs');
writeFileSync(
  RUSAGE_PRELOAD,
  `import { writeFileSync } from 'node:fs';
process.on('exit', () => {
  const u = process.resourceUsage();
  writeFileSync(process.env.DITS_BENCH_RUSAGE, [u.userCPUTime / 1e6, u.systemCPUTime / 1e6, u.maxRSS].join(' '));
});
`,
);

let runCounter = 0;

/** Runs `dits ARGS` to its end; a non-zero exit throws with the child's stderr. */
export async function runDits(ditsArgs: readonly string[], nodeFlags: readonly string[] = []): Promise<ChildFigures> {
  const usageFile = join(work, `usage-${runCounter++}.txt`);
  const cliArgs = [...nodeFlags, DITS, ...ditsArgs];
  const [cmd, args] = HAS_TIME
    ? [TIME, ['-f', '%U %S %M', '-o', usageFile, process.execPath, ...cliArgs]]
    : [process.execPath, ['--import', RUSAGE_PRELOAD, ...cliArgs]];
  const start = performance.now();
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, DITS_BENCH_RUSAGE: usageFile }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const status = await new Promise<number | null>((ok, fail) => child.on('error', fail).on('close', ok));
  const wallS = (performance.now() - start) / 1000;
  if (status !== 0) throw new Error(`dits ${ditsArgs.join(' ')} exited ${status}: ${stderr}`);
  // GNU time may prefix a "Command exited..." line; the figures are the last line.
  const last = readFileSync(usageFile, 'utf8').trim().split('\n').at(-1) as string;
  const [user, sys, rss] = last.split(/\s+/).map(Number) as [number, number, number];
  return { wallS, cpuS: user + sys, peakRssBytes: rss * 1024 };
}
