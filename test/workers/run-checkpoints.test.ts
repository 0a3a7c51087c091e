/**
 * Run checkpoints: a run stopped by Ctrl-C or killed with kill -9 in its search stage continues
 * the stage from its checkpoint, at any thread count, and ends with the files of an unbroken run.
 * What is killed or interrupted is a real process (ditsAsync); the unbroken reference and the
 * resumes run in this process (cli()).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, folderFiles, tempDir } from '../cli/helpers.ts';
import { ditsAsync, until } from '../http/helpers.ts';
import { tasksHeld } from './helpers.ts';

const dir = tempDir();
/** A one-iteration run whose search stage is long enough to be stopped in. */
const RUN_SEARCH_TASKS = 150;
const RUN_STOPPED = ['--iterations', '1', '--sft-tasks', '8', '--sft-samples', '2', '--search-tasks', String(RUN_SEARCH_TASKS), '--validation', '4', '--test-tasks', '8', '--quiet'];

describe('run checkpoints', () => {
  // The unbroken run every stopped one must end as, made once.
  const unbroken = join(dir, 'run-unbroken');
  beforeAll(async () => {
    const run = await cli(['run', '--out', unbroken, ...RUN_STOPPED, '--threads', '1']);
    expect(run.status, run.stderr).toBe(0);
  }, 120_000);

  it('Ctrl-C during a run stops it and its search threads; --resume ends with the files of an unbroken run', async () => {
    const out = join(dir, 'run-interrupted');
    const running = ditsAsync(['run', '--out', out, ...RUN_STOPPED, '--threads', '2']);
    const ckpt = join(out, 'iter-0', 'search', 'search.ckpt');
    await until(() => existsSync(ckpt) && statSync(ckpt).size > 50_000, 60_000, 'the search stage under way');
    running.kill('SIGINT');
    const stopped = await running.done;
    expect(stopped.status).toBe(130);
    expect(stopped.stderr).toContain(`dits run --resume ${out}`);
    const resumed = await cli(['run', '--resume', out, '--threads', '2']);
    expect(resumed.status, resumed.stderr).toBe(0);
    // The search stage went on from its checkpoint, which the stop left part-way.
    expect(tasksHeld(resumed.stderr)).toBeGreaterThan(0);
    expect(tasksHeld(resumed.stderr)).toBeLessThan(RUN_SEARCH_TASKS);
    expect(folderFiles(out)).toEqual(folderFiles(unbroken));
  }, 120_000);

  it('a run killed with kill -9 in its search stage continues the stage from its checkpoint, at any thread count, and ends as an unbroken run', async () => {
    const expected = folderFiles(unbroken);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 50 }), fc.constantFrom('1', '2'), fc.constantFrom('1', '2'), async (tasksBeforeKill, threads, resumeThreads) => {
        const out = join(dir, `run-killed-${run++}`);
        const running = ditsAsync(['run', '--out', out, ...RUN_STOPPED, '--threads', threads]);
        const ckpt = join(out, 'iter-0', 'search', 'search.ckpt');
        await until(() => existsSync(ckpt) && statSync(ckpt).size > tasksBeforeKill * 2000, 60_000, 'the search stage under way');
        running.kill('SIGKILL');
        await running.done;
        const resumed = await cli(['run', '--resume', out, '--threads', resumeThreads]);
        expect(resumed.status, resumed.stderr).toBe(0);
        expect(resumed.stderr).toMatch(/search\.ckpt: continuing after the \d+ tasks it holds/);
        expect(folderFiles(out)).toEqual(expected);
      }),
      { numRuns: 3, seed: 11 },
    );
  }, 300_000);
});
