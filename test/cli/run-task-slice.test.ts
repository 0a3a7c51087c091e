/** `dits run --tasks FILE` with --offset, --limit and --skip-bad-rows, as simulate and search have them. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.ts';

const dir = tempDir('dits-run-slice-');
const csv = join(dir, 'mmlu.csv');
// Row 80 is bad (4 columns); the rest are raw MMLU rows `question,A,B,C,D,answer`.
const rows = Array.from({ length: 110 }, (_, i) => (i === 80 ? 'a bad row,1,2,A' : `"What is ${i} plus 1?",${i + 1},${i + 2},${i + 3},${i + 4},A`));
writeFileSync(csv, rows.join('\n') + '\n');
// validation 4 + test 6 + 1 x (sft 6 + search 6) = 22 tasks.
const SIZES = ['--scenario', 'mmlu', '--iterations', '1', '--sft-tasks', '6', '--sft-samples', '2', '--search-tasks', '6', '--validation', '4', '--test-tasks', '6', '--tasks', csv];

const sftTaskIds = (out: string) => readFileSync(join(out, 'iter-0', 'sft-data.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).taskId as string);

describe('dits run on a slice of a dataset file', () => {
  it('--offset skips the first rows: the pool starts there, in allocation order (validation, test, SFT, search)', async () => {
    const out = join(dir, 'offset');
    const r = await cli(['run', ...SIZES, '--offset', '50', '--out', out, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).tasks).toMatchObject({ file: csv, offset: 50 });
    // Tasks are numbered by row; the SFT tasks are pool tasks 10..15, rows 60..65.
    for (const id of sftTaskIds(out)) expect(Number(id.replace('mmlu-', ''))).toBeGreaterThanOrEqual(60);
  });

  it('--limit caps the rows read: too few for the run is refused with the formula', async () => {
    const r = await cli(['run', ...SIZES, '--limit', '20', '--out', join(dir, 'limit')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('= 22 tasks, the task source has 20');
  });

  it('--skip-bad-rows reports a bad row and goes on; without it the run stops at it, located', async () => {
    const stopped = await cli(['run', ...SIZES, '--offset', '70', '--out', join(dir, 'bad'), '--quiet']);
    expect(stopped.status).toBe(2);
    expect(stopped.stderr).toContain(`${csv}:81: expected 6 columns`);
    const skipped = await cli(['run', ...SIZES, '--offset', '70', '--skip-bad-rows', '--out', join(dir, 'skip')]);
    expect(skipped.status, skipped.stderr).toBe(0);
    expect(skipped.stderr).toContain(`skipped bad row: ${csv}:81`);
  });
});
