/** `dits search --policy dits` has no trainer to probe with, so it would equal optima: refused, saying why and what to run. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.ts';

describe('dits search --policy dits', () => {
  it('exits 2 pointing at dits run --policy dits, and writes nothing', async () => {
    const out = join(tempDir(), 'run');
    const r = await cli(['search', '--scenario', 'hotpotqa', '--generate', '2', '--policy', 'dits', '--out', out, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('would search exactly as optima');
    expect(r.stderr).toContain('dits run --policy dits');
    expect(existsSync(out)).toBe(false);
  });
});
