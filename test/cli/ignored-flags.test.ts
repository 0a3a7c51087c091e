/** Flags a combination makes no use of are named on stderr, not dropped in silence. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.ts';

const dir = tempDir('dits-ignored-');
const SMALL = ['--iterations', '1', '--sft-tasks', '5', '--sft-samples', '2', '--search-tasks', '5', '--validation', '3', '--test-tasks', '5', '--quiet'];

describe('flags ignored in a combination', () => {
  it('run: --influence-share without --budget-tokens, then --resume with settings its manifest fixes', async () => {
    const out = join(dir, 'run');
    const first = await cli(['run', ...SMALL, '--influence-share', '0.3', '--out', out]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain('dits: warning: --influence-share ignored: it splits --budget-tokens, and no budget is set');
    const resumed = await cli(['run', '--resume', out, '--seed', '4', '--iterations', '3', '--threads', '1', '--quiet']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`dits: warning: --seed, --iterations ignored: --resume continues with the settings in ${out}/manifest.json`);
    expect(resumed.stderr).not.toContain('--threads');
  });

  it.each(['simulate', 'search'])('%s: --map and --skip-bad-rows with generated tasks', async (command) => {
    const r = await cli([command, '--scenario', 'gsm8k', '--generate', '3', '--map', 'question=q', '--skip-bad-rows', '--out', join(dir, command), '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('dits: warning: --map, --skip-bad-rows ignored: they apply to --tasks FILE, and the tasks are generated');
  });

  it('says nothing when every flag is used', async () => {
    const r = await cli(['simulate', '--scenario', 'gsm8k', '--generate', '3', '--out', join(dir, 'quiet'), '--quiet']);
    expect(r.stderr).toBe('');
  });
});
