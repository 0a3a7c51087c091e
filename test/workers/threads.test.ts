/**
 * Worker threads: a search and a run write the same folders at any thread count. In process
 * (cli()); thread speed is bench/threads.ts's job. Checkpoints after kill -9 and Ctrl-C are in
 * search-checkpoints.test.ts and run-checkpoints.test.ts (separate files, so they run in parallel).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, folderFiles, tempDir } from '../cli/helpers.ts';

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
