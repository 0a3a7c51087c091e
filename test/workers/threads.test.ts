/**
 * Worker threads and checkpoints: the same outputs at any thread count, after a kill -9 at any
 * moment and --resume, after a damaged last checkpoint record, and after Ctrl-C.
 * The thread-count comparisons, the unbroken references and the resumes run in this process
 * (cli()); what is killed or interrupted is a real process (ditsAsync). Sizes are the smallest
 * that still leave a search long enough to stop half-way; thread speed is bench/threads.ts's job.
 */
import { appendFileSync, existsSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, folderFiles, tempDir } from '../cli/helpers.ts';
import { ditsAsync, sleep, until } from '../http/helpers.ts';

const dir = tempDir();

/** GSM8K rows where questions repeat with other answers: the simulated model must resolve them the same way in every thread. */
function repeatedQuestions(): string {
  const file = join(dir, 'repeats.jsonl');
  // 20 questions, each three times with three different gold answers.
  const rows = Array.from({ length: 60 }, (_, i) => {
    const a = 3 + (i % 20);
    const question = `Tom has ${a} apples and buys ${a + 4} more. How many apples does Tom have now?`;
    return JSON.stringify({ question, answer: `${a} + ${a + 4} = ${2 * a + 4 + Math.floor(i / 20)}\n#### ${2 * a + 4 + Math.floor(i / 20)}` });
  });
  writeFileSync(file, `${rows.join('\n')}\n`);
  return file;
}

const SEARCH = ['search', '--scenario', 'gsm8k', '--selections', '4', '--rollouts', '2', '--seed', '3', '--quiet'];
/** Tasks of the search that is stopped: at the default budget, about 2.5 KB of checkpoint each. */
const LONG_TASKS = 200;
const LONG = [...SEARCH.slice(0, 3), '--generate', String(LONG_TASKS), '--seed', '4', '--quiet', '--threads', '2'];
/** A one-iteration run whose search stage is long enough to be stopped in. */
const RUN_SEARCH_TASKS = 150;
const RUN_STOPPED = ['--iterations', '1', '--sft-tasks', '8', '--sft-samples', '2', '--search-tasks', String(RUN_SEARCH_TASKS), '--validation', '4', '--test-tasks', '8', '--quiet'];

/** The task count a resumed checkpoint says it holds. */
function tasksHeld(stderr: string): number {
  const m = /search\.ckpt: continuing after the (\d+) tasks it holds/.exec(stderr);
  expect(m, stderr).not.toBeNull();
  return Number(m![1]);
}

describe('threads', () => {
  it('search writes byte-identical folders with 1, 2 and 4 threads, also when questions repeat', async () => {
    const tasks = repeatedQuestions();
    const folders = [];
    for (const t of [1, 2, 4]) {
      const out = join(dir, `search-t${t}`);
      const r = await cli([...SEARCH, '--tasks', tasks, '--threads', String(t), '--out', out]);
      expect(r.status, r.stderr).toBe(0);
      folders.push(folderFiles(out));
    }
    expect(Object.keys(folders[0]!)).toContain('trees.msgpack');
    expect(folders[1]).toEqual(folders[0]);
    expect(folders[2]).toEqual(folders[0]);
  }, 120_000);

  it('a one-iteration run writes byte-identical folders with 1, 2 and 4 threads', async () => {
    const sizes = ['--iterations', '1', '--sft-tasks', '16', '--sft-samples', '2', '--search-tasks', '24', '--validation', '4', '--test-tasks', '8', '--quiet'];
    const folders = [];
    for (const t of [1, 2, 4]) {
      const out = join(dir, `run-t${t}`);
      const r = await cli(['run', '--out', out, ...sizes, '--threads', String(t)]);
      expect(r.status, r.stderr).toBe(0);
      folders.push(folderFiles(out));
    }
    expect(folders[1]).toEqual(folders[0]);
    expect(folders[2]).toEqual(folders[0]);
  }, 120_000);

  it('with --policy dits the workers probe during the search, and the run is byte-identical to one thread', async () => {
    const sizes = ['--iterations', '1', '--policy', 'dits', '--sft-tasks', '12', '--sft-samples', '2', '--search-tasks', '16', '--validation', '4', '--test-tasks', '6', '--quiet'];
    const folders = [];
    for (const t of [1, 2]) {
      const out = join(dir, `dits-t${t}`);
      const r = await cli(['run', '--out', out, ...sizes, '--threads', String(t)]);
      expect(r.status, r.stderr).toBe(0);
      folders.push(folderFiles(out));
    }
    // meters.json too: the workers charge their in-search probes to the influence meter as the main thread does.
    expect(Object.keys(folders[0]!)).toContain('iter-0/meters.json');
    expect(folders[1]).toEqual(folders[0]);
  }, 120_000);
});

describe('checkpoints', () => {
  // The unbroken search and run every stopped one must end as, made once in this process.
  const whole = join(dir, 'whole');
  const unbroken = join(dir, 'run-unbroken');
  beforeAll(async () => {
    const search = await cli([...LONG, '--out', whole]);
    expect(search.status, search.stderr).toBe(0);
    const run = await cli(['run', '--out', unbroken, ...RUN_STOPPED, '--threads', '1']);
    expect(run.status, run.stderr).toBe(0);
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
