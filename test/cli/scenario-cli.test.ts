import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.ts';

describe('dits scenario', () => {
  it('lists the eight built-ins', async () => {
    const r = await cli(['scenario', 'list']);
    expect(r.status).toBe(0);
    for (const name of ['gsm8k', 'math', 'arc', 'mmlu', 'hotpotqa', '2wiki', 'triviaqa', 'cbt']) expect(r.stdout).toMatch(new RegExp(`^${name} `, 'm'));
  });

  it('validates a good file and rejects a bad one with file, line and field, exit 2', async () => {
    const dir = tempDir();
    const good = join(dir, 'good.yaml');
    const bad = join(dir, 'bad.json');
    const r0 = await cli(['scenario', 'show', 'gsm8k']);
    expect(r0.status).toBe(0);
    writeFileSync(good, `name: duo\nfamily: debate\nagents:\n  - {name: Ann, role: solver, prompt: "Solve \${question}"}\n  - {name: Cy, role: critic, prompt: "Check \${partner}"}\nanswer: {format: boxed}\nmetric: em\nreward: {lambdaToken: -0.4, lambdaLoss: 0.9, sftThreshold: 0.6, pairThreshold: 0.45, dpoBeta: 0.5}\n`);
    writeFileSync(bad, '{\n  "name": "Bad Name",\n  "family": "debate"\n}\n');
    const ok = await cli(['scenario', 'validate', good]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('good.yaml: ok (duo, debate, 2 agents)');
    const r = await cli(['scenario', 'validate', good, bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bad\.json:2:\d+: name: /);
    expect(r.stderr).toMatch(/bad\.json:\d+:\d+: agents: .*missing/);
  });

  it('shows each agent\'s first prompt for a task', async () => {
    const r = await cli(['scenario', 'show', 'hotpotqa', '--task', '2', '--seed', '3']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^# task gen-ie-2 /m);
    expect(r.stdout).toContain('## Alice (peer)\nYou are Alice. You and Bob');
    expect(r.stdout).toContain('## Bob (peer)\nYou are Bob. You and Alice');
  });

  it('gives usage errors exit code 2 and --help exit code 0', async () => {
    expect((await cli(['simulate', '--scenario', 'gsm8k', '--seed', 'abc'])).status).toBe(2);
    expect((await cli(['simulate'])).status).toBe(2);
    expect((await cli(['no-such-command'])).status).toBe(2);
    expect((await cli(['scenario', 'show', 'nope'])).status).toBe(2);
    const help = await cli(['simulate', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--skip-bad-rows');
  });
});
