/** Files that are not what their format says: each ends in one located, readable DatasetError. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASET_FORMATS, DatasetError, loadTasks } from '../../scenarios/datasets/index.ts';
import type { Task } from '../../scenarios/task.ts';
import { cli, tempDir } from '../cli/helpers.ts';

const dir = tempDir('dits-bad-files-');
function file(name: string, bytes: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

async function load(path: string, format: string): Promise<Task[]> {
  const tasks: Task[] = [];
  for await (const t of loadTasks(path, { format })) tasks.push(t);
  return tasks;
}

// Bytes a seeded LCG makes, with a NUL among them: a binary file of 4 KiB.
const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i === 70 ? 0 : (i * 1103515245 + 12345) % 251)));

describe('a binary file', () => {
  it.each(DATASET_FORMATS.filter((f) => f !== 'jsonl'))('is refused as binary by %s, without quoting its bytes', async (format) => {
    const err = await load(file(`bin-${format}.dat`, binary), format).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as Error).message).toMatch(/looks binary, not a text dataset: a NUL byte at byte 70$/);
  });

  it('is refused when it is not UTF-8, even without a NUL', async () => {
    const err = await load(file('latin1.csv', Buffer.from([0x51, 0xe9, 0xe9, 0x2c, 0x31, 0x0a, 0xff, 0xfe])), 'mmlu').catch((e: unknown) => e);
    expect((err as Error).message).toContain('its first bytes are not UTF-8');
  });

  it('ends the CLI with exit 2 and a one-line message', async () => {
    const r = await cli(['simulate', '--scenario', 'mmlu', '--tasks', file('bin.csv', binary), '--out', join(dir, 'out'), '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toContain('\\u0000');
    expect(r.stderr.length).toBeLessThan(200);
    // The failed run's folder holds only what it had begun writing: --overwrite may replace it.
    const good = file('good.csv', 'What is 1+1?,2,3,4,5,A\n');
    const again = await cli(['simulate', '--scenario', 'mmlu', '--tasks', good, '--out', join(dir, 'out'), '--quiet', '--overwrite']);
    expect(again.status, again.stderr).toBe(0);
  });
});

describe('MMLU CSV quoting', () => {
  it('names the line where a never-closed quoted field starts', async () => {
    const p = file('unclosed.csv', 'What is 1+1?,2,3,4,5,A\n"An unclosed quote,1,2,3,4,B\nok,1,2,3,4,C\n');
    const err = await load(p, 'mmlu').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as Error).message).toBe(`${p}:2: the record starting here opens a quoted field that is never closed (the file ends first)`);
  });

  it('keeps a quote inside an unquoted field as text, as Python\'s csv module reads it', async () => {
    const [task] = await load(file('mid.csv', 'What is "1"+1?,2,3,4,5,A\n'), 'mmlu');
    expect(task?.question).toBe('What is "1"+1?');
    expect(task?.answers).toEqual(['2']);
  });
});
