/**
 * Worker threads and checkpoints: the same outputs at any thread count, after a kill -9 at any
 * moment and --resume, after a damaged last checkpoint record, and after Ctrl-C.
 */
import { appendFileSync, existsSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dits, folderFiles, tempDir } from '../cli/helpers.ts';
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
const LONG = [...SEARCH.slice(0, 3), '--generate', '600', '--seed', '4', '--quiet', '--threads', '2'];

describe('threads', () => {
  it('search writes byte-identical folders with 1, 2 and 4 threads, also when questions repeat', () => {
    const tasks = repeatedQuestions();
    const folders = [1, 2, 4].map((t) => {
      const out = join(dir, `search-t${t}`);
      const r = dits([...SEARCH, '--tasks', tasks, '--threads', String(t), '--out', out]);
      expect(r.status, r.stderr).toBe(0);
      return folderFiles(out);
    });
    expect(Object.keys(folders[0]!)).toContain('trees.msgpack');
    expect(folders[1]).toEqual(folders[0]);
    expect(folders[2]).toEqual(folders[0]);
  }, 120_000);

  it('a one-iteration run writes byte-identical folders with 1, 2 and 4 threads', () => {
    const sizes = ['--iterations', '1', '--sft-tasks', '16', '--sft-samples', '2', '--search-tasks', '24', '--validation', '4', '--test-tasks', '8', '--quiet'];
    const folders = [1, 2, 4].map((t) => {
      const out = join(dir, `run-t${t}`);
      const r = dits(['run', '--out', out, ...sizes, '--threads', String(t)]);
      expect(r.status, r.stderr).toBe(0);
      return folderFiles(out);
    });
    expect(folders[1]).toEqual(folders[0]);
    expect(folders[2]).toEqual(folders[0]);
  }, 120_000);

  it('with --policy dits the workers probe during the search, and the run is byte-identical to one thread', () => {
    const sizes = ['--iterations', '1', '--policy', 'dits', '--sft-tasks', '12', '--sft-samples', '2', '--search-tasks', '16', '--validation', '4', '--test-tasks', '6', '--quiet'];
    const folders = [1, 2].map((t) => {
      const out = join(dir, `dits-t${t}`);
      const r = dits(['run', '--out', out, ...sizes, '--threads', String(t)]);
      expect(r.status, r.stderr).toBe(0);
      return folderFiles(out);
    });
    // meters.json too: the workers charge their in-search probes to the influence meter as the main thread does.
    expect(Object.keys(folders[0]!)).toContain('iter-0/meters.json');
    expect(folders[1]).toEqual(folders[0]);
  }, 120_000);
});

describe('checkpoints', () => {
  const whole = join(dir, 'whole');

  it('a search killed with kill -9 at any moment resumes with --resume to the same files as an unbroken one', async () => {
    expect(dits([...LONG, '--out', whole]).status).toBe(0);
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
        const resumed = await ditsAsync([...LONG, '--out', out, ...(existsSync(ckpt) ? ['--resume'] : [])]).done;
        expect(resumed.status, resumed.stderr).toBe(0);
        expect(folderFiles(out)).toEqual(expected);
      }),
      { numRuns: 4, seed: 7 },
    );
  }, 300_000);

  it('a truncated or corrupted last checkpoint record is reported, and the search resumes from the records before it', async () => {
    if (!existsSync(whole)) expect(dits([...LONG, '--out', whole]).status).toBe(0);
    for (const damage of ['truncate', 'corrupt'] as const) {
      const out = join(dir, `damaged-${damage}`);
      const running = ditsAsync([...LONG, '--out', out]);
      const ckpt = join(out, 'search.ckpt');
      await until(() => existsSync(ckpt) && statSync(ckpt).size > 100_000, 60_000, 'checkpoint growth');
      running.kill('SIGKILL');
      await running.done;
      if (damage === 'truncate') truncateSync(ckpt, statSync(ckpt).size - 7);
      else appendFileSync(ckpt, Buffer.from([64, 0, 0, 0, 1, 2, 3, 4, ...Array.from({ length: 64 }, (_, i) => i)]));
      const resumed = await ditsAsync([...LONG, '--out', out, '--resume']).done;
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(damage === 'truncate' ? /is cut short \(a crash while writing it\); resuming from the \d+ whole task records before it/ : /is corrupted \(checksum mismatch\)/);
      expect(folderFiles(out)).toEqual(folderFiles(whole));
    }
  }, 180_000);

  it('Ctrl-C stops the search and its threads within a second, and the folder resumes to the same files', async () => {
    if (!existsSync(whole)) expect(dits([...LONG, '--out', whole]).status).toBe(0);
    const out = join(dir, 'interrupted');
    const running = ditsAsync([...LONG, '--out', out]);
    const ckpt = join(out, 'search.ckpt');
    await until(() => existsSync(ckpt) && statSync(ckpt).size > 50_000, 60_000, 'checkpoint growth');
    const sent = performance.now();
    running.kill('SIGINT');
    const stopped = await running.done;
    expect(performance.now() - sent).toBeLessThan(1000);
    expect(stopped.status).toBe(130);
    expect(stopped.stderr).toMatch(/interrupted; the finished tasks are kept in .*search\.ckpt\. Continue with the same command and --resume/);
    await sleep(10);
    const resumed = await ditsAsync([...LONG, '--out', out, '--resume']).done;
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(folderFiles(out)).toEqual(folderFiles(whole));
  }, 120_000);

  it('Ctrl-C during a run stops it and its search threads within a second; --resume ends with the files of an unbroken run', async () => {
    const sizes = ['--iterations', '1', '--sft-tasks', '8', '--sft-samples', '2', '--search-tasks', '400', '--validation', '4', '--test-tasks', '8', '--quiet', '--threads', '2'];
    const unbroken = join(dir, 'run-unbroken');
    expect(dits(['run', '--out', unbroken, ...sizes]).status).toBe(0);
    const out = join(dir, 'run-interrupted');
    const running = ditsAsync(['run', '--out', out, ...sizes]);
    const ckpt = join(out, 'iter-0', 'search', 'search.ckpt');
    await until(() => existsSync(ckpt) && statSync(ckpt).size > 50_000, 60_000, 'the search stage under way');
    const sent = performance.now();
    running.kill('SIGINT');
    const stopped = await running.done;
    expect(performance.now() - sent).toBeLessThan(1000);
    expect(stopped.status).toBe(130);
    expect(stopped.stderr).toContain(`dits run --resume ${out}`);
    const resumed = await ditsAsync(['run', '--resume', out, '--threads', '2']).done;
    expect(resumed.status, resumed.stderr).toBe(0);
    // The search stage went on from its checkpoint rather than from scratch.
    expect(resumed.stderr).toMatch(/search\.ckpt: continuing after the [1-9]\d* tasks it holds/);
    expect(folderFiles(out)).toEqual(folderFiles(unbroken));
  }, 120_000);

  it('a run killed with kill -9 in its search stage continues the stage from its checkpoint, at any thread count, and ends as an unbroken run', async () => {
    const sizes = ['--iterations', '1', '--sft-tasks', '8', '--sft-samples', '2', '--search-tasks', '300', '--validation', '4', '--test-tasks', '8', '--quiet'];
    const unbroken = join(dir, 'run-whole');
    expect(dits(['run', '--out', unbroken, ...sizes, '--threads', '1']).status).toBe(0);
    const expected = folderFiles(unbroken);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 120 }), fc.constantFrom('1', '2'), fc.constantFrom('1', '2'), async (tasksBeforeKill, threads, resumeThreads) => {
        const out = join(dir, `run-killed-${run++}`);
        const running = ditsAsync(['run', '--out', out, ...sizes, '--threads', threads]);
        const ckpt = join(out, 'iter-0', 'search', 'search.ckpt');
        await until(() => existsSync(ckpt) && statSync(ckpt).size > tasksBeforeKill * 2000, 60_000, 'the search stage under way');
        running.kill('SIGKILL');
        await running.done;
        const resumed = await ditsAsync(['run', '--resume', out, '--threads', resumeThreads]).done;
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
    const again = dits([...LONG, '--out', out]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/holds an unfinished search \(search\.ckpt\): continue it with --resume/);
    const other = dits([...LONG.map((a) => (a === '4' ? '5' : a)), '--out', out, '--resume']);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/written by a search with other settings/);
  }, 120_000);
});
