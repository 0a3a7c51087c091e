/** A policy whose answer the search cannot use ends the command in one located line, exit 2: its fault, not a crash. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dits, tempDir } from './helpers.ts';

const dir = tempDir('dits-bad-policy-');

describe('a policy that returns a node the search cannot expand', () => {
  it('names the task, the policy, the selection and why, with no stack trace', () => {
    const r = dits(['search', '--scenario', 'gsm8k', '--generate', '4', '--policy', 'test/fixtures/policies/returns-terminal.ts', '--out', join(dir, 'terminal'), '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^dits: search of task gen-arith-\d+ failed: policy returns-terminal, selection \d+: select\(\) chose a node that cannot be expanded: node \d+ ended a dialogue/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
