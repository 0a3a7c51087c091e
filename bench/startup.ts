/**
 * How long `dits` takes to start: the wall time of a child process for `node -e 0` (what any
 * Node program pays), `dits --version`, `dits --help` and `dits scenario list`, run in
 * interleaved rounds so that a slow moment of the machine hits every command alike. The time
 * includes spawning the child, so the ratio to `node -e 0` is the figure to compare.
 *
 *   node bin/run-ts.mjs bench/startup.ts [--runs 20] [--entry path/to/bin/dits.mjs]
 *
 * It builds dist/ first (bin/build.mjs), so that this checkout's entry runs the build of the
 * sources as they are. --entry times another entry as it is, unbuilt: another checkout's, to
 * compare against.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './cli-child.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    entry: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const ENTRY = values.entry === undefined ? join(ROOT, 'bin', 'dits.mjs') : resolve(values.entry);
const TARGET_HELP_MS = 300;

if (values.entry === undefined) {
  const built = spawnSync(process.execPath, [join(ROOT, 'bin', 'build.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('bin/build.mjs failed');
}

const COMMANDS: { label: string; args: string[] }[] = [
  { label: 'node -e 0', args: ['-e', '0'] },
  { label: 'dits --version', args: [ENTRY, '--version'] },
  { label: 'dits --help', args: [ENTRY, '--help'] },
  { label: 'dits scenario list', args: [ENTRY, 'scenario', 'list'] },
];

/** Milliseconds from spawning `node ARGS` to its exit; a failure throws with its stderr. */
function timed(args: string[]): number {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return ms;
}

const cpu = cpus();
console.log(`startup bench: ${RUNS} interleaved rounds, wall time of each child process; entry ${ENTRY}${values.entry === undefined ? ' (dist/ built just now)' : ''}`);
console.log(`machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), node ${process.version}`);

// One unmeasured round: the page cache holds every file after it.
for (const c of COMMANDS) timed(c.args);
const times = COMMANDS.map(() => [] as number[]);
for (let round = 0; round < RUNS; round++) COMMANDS.forEach((c, i) => times[i]?.push(timed(c.args)));

const baseline = median(times[0] ?? []);
console.log(`\n${'command'.padEnd(20)} ${'median'.padStart(8)} ${'min'.padStart(6)} ${'max'.padStart(6)}  x node -e 0`);
COMMANDS.forEach((c, i) => {
  const t = times[i] ?? [];
  const m = median(t);
  const target = c.label === 'dits --help' ? `   [target < ${TARGET_HELP_MS} ms: ${m < TARGET_HELP_MS ? 'ok' : 'MISSED'}]` : '';
  console.log(`${c.label.padEnd(20)} ${`${m.toFixed(0)} ms`.padStart(8)} ${Math.min(...t).toFixed(0).padStart(6)} ${Math.max(...t).toFixed(0).padStart(6)}  ${(m / baseline).toFixed(1).padStart(10)}${target}`);
});
