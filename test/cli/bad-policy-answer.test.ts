/** A policy whose answer the search cannot use ends the command in one located line, exit 2: its fault, not a crash. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.ts';

const dir = tempDir('dits-bad-policy-');

describe('a policy that returns a node the search cannot expand', () => {
  it.each(['1', '2'])('names the task, the policy, the selection and why, with no stack trace (%s threads)', async (threads) => {
    const r = await cli(['search', '--scenario', 'gsm8k', '--generate', '4', '--threads', threads, '--policy', 'test/fixtures/policies/returns-terminal.ts', '--out', join(dir, `terminal-${threads}`), '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^dits: search of task gen-arith-\d+ failed: policy returns-terminal, selection \d+: select\(\) chose a node that cannot be expanded: node \d+ ended a dialogue/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('policy parameters out of range', () => {
  it.each([
    ['optima', 'topK=0', "policy optima: parameter 'topK' must be a whole number >= 1, got 0"],
    ['uct', 'c=-1', "policy uct: parameter 'c' must be a number >= 0, got -1"],
    ['optima', 'filter=1.5', "policy optima: parameter 'filter' must be a number in [0, 1], got 1.5"],
  ])('%s --param %s is refused before any search, exit 2', async (policy, param, message) => {
    const r = await cli(['search', '--scenario', 'gsm8k', '--generate', '3', '--policy', policy, '--param', param, '--out', join(dir, `${policy}-${param}`), '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`dits: ${message}`);
  });
});

describe('parameters of a policy file', () => {
  it('are those it declares: an unknown name is refused, a declared one is taken', async () => {
    const base = ['search', '--scenario', 'gsm8k', '--generate', '3', '--policy', 'test/fixtures/policies/deepest-first.ts', '--quiet'];
    const unknown = await cli([...base, '--param', 'topK=3', '--out', join(dir, 'unknown')]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("has no parameter 'topK' (it has: selections, rollouts)");
    const known = await cli([...base, '--param', 'selections=2', '--out', join(dir, 'known')]);
    expect(known.status, known.stderr).toBe(0);
    const undeclared = await cli(['search', '--scenario', 'gsm8k', '--generate', '3', '--policy', 'test/fixtures/policies/returns-terminal.ts', '--param', 'c=1', '--out', join(dir, 'undeclared'), '--quiet']);
    expect(undeclared.status).toBe(2);
    expect(undeclared.stderr).toContain('declares no parameters, so it takes none (given: c)');
  });
});
