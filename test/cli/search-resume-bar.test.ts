/**
 * `dits search --resume` on a terminal: the bar counts the tasks the checkpoint restored, so it
 * ends at the whole count (it restarted at 0 and ended short of it), and it is erased before
 * the summary.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { registerSearchCommand } from '../../cli/commands/search.ts';
import { ditsAsync, until } from '../http/helpers.ts';
import { tempDir } from './helpers.ts';
import { onTerminal, Screen } from './screen.ts';

const TASKS = 150;
const SEARCH = ['search', '--scenario', 'gsm8k', '--generate', String(TASKS), '--selections', '4', '--rollouts', '2', '--seed', '4', '--threads', '1'];

/** The search command in this process, on a terminal whose every write is kept. */
async function searchOnTerminal(args: string[]): Promise<{ writes: string[]; screen: Screen }> {
  const writes: string[] = [];
  const screen = new Screen();
  undo = onTerminal(screen, 160, writes);
  const program = new Command('dits').exitOverride();
  registerSearchCommand(program);
  await program.parseAsync(['node', 'dits', ...args]);
  return { writes, screen };
}

let undo = () => {};

describe('dits search --resume on a terminal', () => {
  afterEach(() => undo());

  it('counts the restored tasks, ends at the whole count, and leaves only the summary', async () => {
    const out = join(tempDir(), 'search');
    const running = ditsAsync([...SEARCH, '--quiet', '--out', out]);
    const ckpt = join(out, 'search.ckpt');
    await until(() => existsSync(ckpt) && statSync(ckpt).size > 60_000, 60_000, 'checkpoint growth');
    running.kill('SIGKILL');
    await running.done;

    const { writes, screen } = await searchOnTerminal([...SEARCH, '--out', out, '--resume']);
    const restored = Number(/continuing after the (\d+) tasks/.exec(writes.join(''))?.[1]);
    expect(restored).toBeGreaterThan(0);
    expect(restored).toBeLessThan(TASKS);
    const counts = [...writes.join('').matchAll(new RegExp(`(\\d+)/${TASKS} \\|`, 'g'))].map((m) => Number(m[1]));
    // The last frame, drawn as the bar stops, holds every task, restored or searched now.
    expect(counts.at(-1)).toBe(TASKS);
    expect(Math.min(...counts.slice(counts.indexOf(restored)))).toBe(restored);
    const shown = screen.shown().filter(Boolean);
    expect(shown.some((l) => l.includes(`/${TASKS} |`))).toBe(false);
    expect(shown.at(-2)).toMatch(new RegExp(`^${TASKS} tasks `));
  }, 120_000);
});
