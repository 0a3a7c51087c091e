/**
 * `--threads N` is capped by the work and the cores: a 5-task search or run with --threads 64
 * starts at most 5 worker threads (it started 64, which took 45 s to boot), and says so once.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.ts';

/** Worker threads the command says it started: `on N worker threads` (a run: in all, its stages share one pool), or 0 `in the main thread`. */
function workersStarted(stdout: string): number {
  if (/\(?in the main thread\)?/.test(stdout)) return 0;
  const m = /on (\d+) worker threads/.exec(stdout);
  if (!m) throw new Error(`no thread count in: ${stdout}`);
  return Number(m[1]);
}

const CAP = Math.min(5, availableParallelism());

describe('--threads 64 on 5 tasks', () => {
  it('a search starts no more threads than tasks or cores, and says once that it capped them', async () => {
    const r = await cli(['search', '--scenario', 'hotpotqa', '--generate', '5', '--threads', '64', '--out', join(tempDir(), 's')]);
    expect(r.status, r.stderr).toBe(0);
    expect(workersStarted(r.stdout)).toBe(CAP > 1 ? CAP : 0);
    expect(r.stderr.match(/--threads 64 capped/g)).toEqual(['--threads 64 capped']);
    expect(r.stderr).toContain(`--threads 64 capped to ${CAP} for 5 search tasks on ${availableParallelism()} cores`);
  }, 120_000);

  it('a run starts at most 5 threads in all (its stages share one pool), and says so once for all its stages', async () => {
    const sizes = ['--iterations', '2', '--sft-tasks', '2', '--sft-samples', '2', '--search-tasks', '5', '--validation', '2', '--test-tasks', '2'];
    const r = await cli(['run', ...sizes, '--threads', '64', '--out', join(tempDir(), 'r')]);
    expect(r.status, r.stderr).toBe(0);
    expect(workersStarted(r.stdout)).toBeLessThanOrEqual(CAP);
    expect(r.stderr.match(/--threads 64 capped/g)).toEqual(['--threads 64 capped']);
  }, 120_000);
});
