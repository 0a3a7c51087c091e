/**
 * bin/dits.mjs runs dist/ only when the build is current, and never stale code: checked on a
 * copy of the entry in a temp folder laid out like the checkout, with a dist/main.js and a
 * cli/main.ts that each say which one ran.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tempDir } from './helpers.ts';

/** A checkout: the entry, node_modules (for tsx), sources, and a build made at `built` (ms) from `inputs`. */
function checkout(built: number, inputs = ['cli/main.ts', 'engine/a.ts']): string {
  const dir = tempDir('dits-build-current-');
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(REPO, 'bin/dits.mjs'), join(dir, 'bin/dits.mjs'));
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  mkdirSync(join(dir, 'cli'));
  mkdirSync(join(dir, 'engine'));
  mkdirSync(join(dir, 'dist'));
  writeFileSync(join(dir, 'cli/main.ts'), "export async function runCli(argv: string[]): Promise<number> { console.log('sources', argv.join(' ')); return 0; }\n");
  writeFileSync(join(dir, 'engine/a.ts'), 'export {};\n');
  writeFileSync(join(dir, 'dist/main.js'), "export async function runCli(argv) { console.log('dist', argv.join(' ')); return 0; }\n");
  for (const f of ['cli/main.ts', 'engine/a.ts']) utimesSync(join(dir, f), new Date(built - 60_000), new Date(built - 60_000));
  writeFileSync(join(dir, 'dist/build.json'), JSON.stringify({ time: built, inputs }));
  return dir;
}

function ran(dir: string): string {
  const r = spawnSync(process.execPath, [join(dir, 'bin/dits.mjs'), 'x', '--y'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

const now = Date.now();

describe('bin/dits.mjs', () => {
  it('runs dist/ when no input of the build is newer than it, with the arguments', () => {
    expect(ran(checkout(now))).toBe('dist x --y\n');
  });

  it('runs the sources when an input is newer than the build', () => {
    const dir = checkout(now);
    utimesSync(join(dir, 'engine/a.ts'), new Date(now + 1000), new Date(now + 1000));
    expect(ran(dir)).toBe('sources x --y\n');
  });

  it('runs the sources when there is no build', () => {
    const dir = checkout(now);
    rmSync(join(dir, 'dist/build.json'));
    expect(ran(dir)).toBe('sources x --y\n');
  });

  it('runs dist/ when an input is gone, and in a package without the sources, whatever the dates', () => {
    expect(ran(checkout(now, ['cli/main.ts', 'engine/gone.ts']))).toBe('dist x --y\n');
    const installed = checkout(now - 3_600_000);
    utimesSync(join(installed, 'engine/a.ts'), new Date(now), new Date(now));
    rmSync(join(installed, 'cli'), { recursive: true });
    expect(ran(installed)).toBe('dist x --y\n');
  });
});
