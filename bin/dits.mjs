#!/usr/bin/env node
// The dits command: the build in dist/ (bin/build.mjs) when it is current, else the TypeScript
// sources through tsx's loader, which compiles each module as it loads (about a second).
//
// A stale build is not rebuilt here: many dits processes start at once (the tests, `dits stress`,
// a shell loop), and each would rebuild and swap files under the others while they load. The
// sources under tsx are never stale; `npm run build` (which `npm ci` and `npm pack` run) makes
// the next start fast again.
import { existsSync, readFileSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url);

/**
 * Whether no input of the build (dist/build.json lists them) changed since it was made. An
 * installed package holds the build and not the sources, so there the build is all there is (and
 * its files' dates say nothing: npm dates them at install). In a checkout, an input that is gone
 * does not count: a module stops being imported only when a file that imported it is edited,
 * and that file is newer.
 */
function buildIsCurrent() {
  let build;
  try {
    build = JSON.parse(readFileSync(new URL('dist/build.json', root), 'utf8'));
  } catch {
    return false;
  }
  if (!existsSync(new URL('cli/main.ts', root))) return true;
  return build.inputs.every((f) => !(statSync(new URL(f, root), { throwIfNoEntry: false })?.mtimeMs > build.time));
}

let main;
if (buildIsCurrent()) {
  main = await import('../dist/main.js');
} else {
  if (process.stderr.isTTY) process.stderr.write('dits: dist/ is missing or older than the sources, so they run through tsx (slower to start); `npm run build` builds it\n');
  (await import('tsx/esm/api')).register();
  main = await import('../cli/main.ts');
}
process.exitCode = await main.runCli(process.argv.slice(2));
