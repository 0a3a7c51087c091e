/**
 * Search checkpoints: a search killed with kill -9 at any moment, or with a damaged last
 * checkpoint record, or stopped by Ctrl-C, resumes to the files of an unbroken one. What is
 * killed or interrupted is a real process (ditsAsync); the unbroken reference and the resumes run
 * in this process (cli()). 200 tasks: the fewest that leave the search long enough to stop half-way.
 */
import { appendFileSync, existsSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, folderFiles, tempDir } from '../cli/helpers.ts';
import { ditsAsync, sleep, until } from '../http/helpers.ts';
import { tasksHeld } from './helpers.ts';

const dir = tempDir();
/** At the default budget, about 2.5 KB of checkpoint a task. */
const LONG_TASKS = 200;
const LONG = ['search', '--scenario', 'gsm8k', '--generate', String(LONG_TASKS), '--seed', '4', '--quiet', '--threads', '2'];

describe('search checkpoints', () => {
  // The unbroken search every stopped one must end as, made once.
  const whole = join(dir, 'whole');
  beforeAll(async () => {
    const search = await cli([...LONG, '--out', whole]);
    expect(search.status, search.stderr).toBe(0);
  }, 120_000);

  it('a search killed with kill -9 at any moment resumes with --resume to the same files as an unbroken one', async () => {
    expect(existsSync(join(whole, 'search.ckpt'))).toBe(false);
    const expected = folderFiles(whole);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 60 }), async (tasksBeforeKill) => {
        const out = join(dir, `killed-${run++}`);
        const running = ditsAsync([...LONG, '--out', out]);
        // Kill once the checkpoint holds about that many tasks (or right away, for 0).
        const ckpt = join(out, 'search.ckpt');
        await until(() => tasksBeforeKill === 0 || (existsSync(ckpt) && statSync(ckpt).size > tasksBeforeKill * 2000), 60_000, 'checkpoint growth');
        running.kill('SIGKILL');
        await running.done;
        const resumed = await cli([...LONG, '--out', out, ...(existsSync(ckpt) ? ['--resume'] : [])]);
        expect(resumed.status, resumed.stderr).toBe(0);
        expect(folderFiles(out)).toEqual(expected);
      }),
      { numRuns: 3, seed: 7 },
    );
  }, 300_000);

  it('a truncated or corrupted last checkpoint record is reported, and the search resumes from the records before it', async () => {
    for (const damage of ['truncate', 'corrupt'] as const) {
      const out = join(dir, `damaged-${damage}`);
      const running = ditsAsync([...LONG, '--out', out]);
      const ckpt = join(out, 'search.ckpt');
      await until(() => existsSync(ckpt) && statSync(ckpt).size > 100_000, 60_000, 'checkpoint growth');
      running.kill('SIGKILL');
      await running.done;
      if (damage === 'truncate') truncateSync(ckpt, statSync(ckpt).size - 7);
      else appendFileSync(ckpt, Buffer.from([64, 0, 0, 0, 1, 2, 3, 4, ...Array.from({ length: 64 }, (_, i) => i)]));
      const resumed = await cli([...LONG, '--out', out, '--resume']);
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(damage === 'truncate' ? /is cut short \(a crash while writing it\); resuming from the \d+ whole task records before it/ : /is corrupted \(checksum mismatch\)/);
      expect(folderFiles(out)).toEqual(folderFiles(whole));
    }
  }, 180_000);

  // Stopping is shown by the exit (a worker thread left running would keep the process alive),
  // the exit code and message, and a checkpoint that holds part of the tasks, not by a time.
  it('Ctrl-C stops the search and its threads, and the folder resumes to the same files', async () => {
    const out = join(dir, 'interrupted');
    const running = ditsAsync([...LONG, '--out', out]);
    const ckpt = join(out, 'search.ckpt');
    await until(() => existsSync(ckpt) && statSync(ckpt).size > 50_000, 60_000, 'checkpoint growth');
    running.kill('SIGINT');
    const stopped = await running.done;
    expect(stopped.status).toBe(130);
    expect(stopped.stderr).toMatch(/interrupted; the finished tasks are kept in .*search\.ckpt\. Continue with the same command and --resume/);
    await sleep(10);
    const resumed = await cli([...LONG, '--out', out, '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(tasksHeld(resumed.stderr)).toBeGreaterThan(0);
    expect(tasksHeld(resumed.stderr)).toBeLessThan(LONG_TASKS);
    expect(folderFiles(out)).toEqual(folderFiles(whole));
  }, 120_000);

  it('refuses to overwrite an unfinished search without --resume, and a checkpoint of other settings', async () => {
    const out = join(dir, 'guarded');
    const running = ditsAsync([...LONG, '--out', out]);
    await until(() => existsSync(join(out, 'search.ckpt')) && statSync(join(out, 'search.ckpt')).size > 20_000, 60_000, 'checkpoint growth');
    running.kill('SIGKILL');
    await running.done;
    const again = await cli([...LONG, '--out', out]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/holds an unfinished search \(search\.ckpt\): continue it with --resume/);
    const other = await cli([...LONG.map((a) => (a === '4' ? '5' : a)), '--out', out, '--resume']);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/written by a search with other settings/);
  }, 120_000);
});
