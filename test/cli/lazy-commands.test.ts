/**
 * Commands load only when they run (cli/main.ts's table): `dits --help` still lists them all,
 * help for one shows it in full, an unknown name is commander's error; and, in a child process
 * through the real entry, what each start-up actually imports.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram, COMMAND_NAMES } from '../../cli/main.ts';
import { cli, REPO, tempDir } from './helpers.ts';

describe('the command table', () => {
  it('loads each command under its own name, in full', async () => {
    for (const name of COMMAND_NAMES) {
      const program = await buildProgram([name]);
      expect(program.commands.map((c) => c.name())).toEqual(COMMAND_NAMES);
      // A command listed but not loaded has a summary and no description.
      expect(program.commands.find((c) => c.name() === name)?.description(), name).not.toBe('');
    }
  });

  it('dits --help lists every command with its summary', async () => {
    const r = await cli(['--help']);
    expect(r.status).toBe(0);
    for (const name of COMMAND_NAMES) expect(r.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    expect(r.stdout).toContain('tree            inspect the search trees of a run');
  });

  it('dits help run and dits run --help show the full help of run', async () => {
    const help = await cli(['help', 'run']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--iterations');
    expect(await cli(['run', '--help'])).toEqual(help);
  });

  it('an unknown command is a usage error, with a suggestion from the table', async () => {
    const r = await cli(['serch']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'serch'\n\(Did you mean search\?\)/);
  });
});

describe('what bin/dits.mjs imports', () => {
  // A module hook, run before the entry, logs every module Node resolves: packages are named by
  // their folder in node_modules whether dits runs from dist/ or from the sources.
  const dir = tempDir('dits-lazy-');
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.DITS_LOADED_LOG, r.url + '\\n');
  return r;
}
`,
  );
  writeFileSync(join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");

  function packagesLoaded(args: string[]): string[] {
    const log = join(dir, `${args.join('-')}.log`);
    writeFileSync(log, '');
    const r = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), join(REPO, 'bin/dits.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, DITS_LOADED_LOG: log } });
    expect(r.status, r.stderr).toBe(0);
    const names = readFileSync(log, 'utf8').matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g);
    return [...new Set([...names].map((m) => m[1] as string))].filter((p) => p !== 'tsx' && p !== 'esbuild' && p !== 'get-tsconfig').sort();
  }

  const HEAVY = ['vega', 'vega-lite', '@cortex-js/compute-engine', 'llama3-tokenizer-js', 'xstate', 'piscina', 'msgpackr', 'undici'];

  it('--help and --version load commander and next to nothing else', () => {
    for (const args of [['--help'], ['--version']]) {
      for (const p of packagesLoaded(args)) expect(['commander', 'comlink']).toContain(p);
    }
  });

  it('scenario list loads none of the packages the searches bring, which search --help does load', () => {
    const list = packagesLoaded(['scenario', 'list']);
    expect(list).toContain('yaml');
    for (const p of HEAVY) expect(list).not.toContain(p);
    expect(packagesLoaded(['search', '--help'])).toEqual(expect.arrayContaining(['xstate', 'piscina', 'msgpackr']));
  });
});
