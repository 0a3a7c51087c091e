/**
 * The one invariant that needs whole processes: `dits search` writes the same folder, byte for
 * byte, in one thread and in two worker threads, with the policy loaded in each thread anew
 * (so a policy whose choices depend on per-thread module state shows it).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { PolicyParams } from '../engine/search/policy.ts';
import type { InvariantOutcome } from './check-policy.ts';

const DITS = fileURLToPath(new URL('../bin/dits.mjs', import.meta.url));
const run = promisify(execFile);

export const THREADS_ID = 'thread-independent';
const GUARANTEES = 'dits search writes byte-identical folders in one thread and in two worker threads';

function files(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

export interface ThreadsCase {
  /** The policy as `--policy` takes it. */
  policy: string;
  params: PolicyParams;
  scenario: string;
  tasks: number;
  seed: number;
}

/** Searches the case with --threads 1 and --threads 2 and compares the folders. */
export async function checkThreadIndependence(c: ThreadsCase): Promise<InvariantOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'dits-stress-threads-'));
  const base = { id: THREADS_ID, guarantees: GUARANTEES, seed: c.seed, runs: 1 };
  const params = Object.entries(c.params).flatMap(([k, v]) => ['--param', `${k}=${String(v)}`]);
  const search = (threads: number) =>
    run(process.execPath, [DITS, 'search', '--scenario', c.scenario, '--generate', String(c.tasks), '--policy', c.policy, ...params,
      '--seed', String(c.seed), '--threads', String(threads), '--out', join(dir, `threads-${threads}`), '--quiet'], { maxBuffer: 1 << 24 });
  const counterexample = `scenario ${c.scenario}, ${c.tasks} generated tasks, seed ${c.seed}`;
  try {
    await search(1);
    await search(2);
    const [one, two] = [files(join(dir, 'threads-1')), files(join(dir, 'threads-2'))];
    const differ = [...new Set([...one.keys(), ...two.keys()])].filter((f) => !one.get(f)?.equals(two.get(f) ?? Buffer.alloc(0)));
    if (differ.length === 0) return { ...base, status: 'held' };
    return { ...base, status: 'broken', counterexample, message: `one thread and two threads wrote different files: ${differ.join(', ')}` };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { ...base, status: 'broken', counterexample, message: `dits search failed: ${(err.stderr || err.message).trim().split('\n').slice(-3).join(' | ')}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
