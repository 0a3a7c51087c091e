/** `--search-concurrency` and `--sft-concurrency` decide how busy a server is kept, never what a run writes. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, folderFiles, tempDir } from './helpers.ts';

const SIZES = ['--iterations', '1', '--sft-tasks', '6', '--sft-samples', '3', '--search-tasks', '12', '--validation', '2', '--test-tasks', '3', '--threads', '1'];

describe('dits run concurrency', () => {
  it('writes the same files with one task at a time as with many in flight', async () => {
    const root = tempDir();
    const serial = await cli(['run', ...SIZES, '--search-concurrency', '1', '--sft-concurrency', '1', '--out', join(root, 'serial'), '--quiet']);
    expect(serial.status, serial.stderr).toBe(0);
    // Many coordinators share one stop signal: that is by design, not a leak Node should warn of.
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    const wide = await cli(['run', ...SIZES, '--search-concurrency', '64', '--sft-concurrency', '6', '--out', join(root, 'wide'), '--quiet']).finally(() => new Promise((r) => setImmediate(r)).then(() => process.off('warning', onWarning)));
    expect(wide.status, wide.stderr).toBe(0);
    expect(warnings).toEqual([]);
    expect(folderFiles(join(root, 'wide'))).toEqual(folderFiles(join(root, 'serial')));
  }, 120_000);

  it('refuses a concurrency below one, naming the flag', async () => {
    const r = await cli(['run', '--sft-concurrency', '0', '--out', join(tempDir(), 'run')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--sft-concurrency/);
  });
});
