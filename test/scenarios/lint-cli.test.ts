import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, REPO, tempDir } from '../cli/helpers.ts';

const dir = tempDir('dits-lint-');
const builtin = readFileSync(join(REPO, 'scenarios/builtin/hotpotqa.yaml'), 'utf8');
// The built-in hotpotqa with a threshold no dialogue reaches: one warning, and it still runs.
const unreachable = join(dir, 'hot99.yaml');
writeFileSync(unreachable, builtin.replace('name: hotpotqa', 'name: hot99').replace('sftThreshold: 0.5', 'sftThreshold: 99'));
const line = builtin.split('\n').findIndex((l) => l.includes('sftThreshold')) + 1;
const WARNING = `warning: ${unreachable}:${line}:3: reward.sftThreshold: 99 is above 11`;

const warnings = (text: string) => text.split('\n').filter((l) => l.includes('warning:'));

describe('scenario warnings on the command line', () => {
  it('dits scenario validate prints them and exits 0, or 2 with --strict; the built-ins have none', async () => {
    const r = await cli(['scenario', 'validate', unreachable]);
    expect(r.status, r.stderr).toBe(0);
    expect(warnings(r.stdout).map((l) => l.slice(0, WARNING.length))).toEqual([WARNING]);
    expect(r.stdout).toContain('hot99.yaml: ok (hot99, information-exchange, 2 agents), 1 warning\n');
    const strict = await cli(['scenario', 'validate', '--strict', unreachable]);
    expect(strict.status).toBe(2);
    expect(strict.stderr).toContain('--strict: 1 file has warnings');
    const builtins = await cli(['scenario', 'validate', '--strict', ...['hotpotqa', 'gsm8k', 'mmlu', 'cbt'].map((n) => join(REPO, `scenarios/builtin/${n}.yaml`))]);
    expect(builtins.status, builtins.stderr).toBe(0);
    expect(warnings(builtins.stdout + builtins.stderr)).toEqual([]);
  });

  it('simulate, search and run print them once on stderr and go on; a built-in prints none', async () => {
    const small = ['--generate', '2', '--quiet'];
    const runSizes = ['--iterations', '1', '--sft-tasks', '8', '--search-tasks', '8', '--validation', '4', '--test-tasks', '8', '--quiet'];
    for (const [command, sizes] of [['simulate', small], ['search', small], ['run', runSizes]] as const) {
      const r = await cli([command, '--scenario', unreachable, ...sizes, '--out', join(dir, command)]);
      expect(r.status, r.stderr).toBe(0);
      expect(warnings(r.stderr).map((l) => l.slice(0, WARNING.length + 6)), command).toEqual([`dits: ${WARNING}`]);
    }
    const plain = await cli(['simulate', '--scenario', 'hotpotqa', ...small, '--out', join(dir, 'builtin')]);
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stderr).toBe('');
  });
});
