#!/usr/bin/env node
/**
 * Builds dist/ (`npm run build`; `npm ci` and `npm pack` run it as the `prepare` script): the CLI,
 * the package entry (`import ... from 'dits'`) and the two worker entries, bundled by esbuild with
 * code splitting, so that a command's modules load only when that command runs; plus the type
 * declarations of the package entry, and dist/build.json, which bin/dits.mjs reads to tell
 * whether the build is current.
 *
 * Plain JavaScript, so that it runs before anything is built and without tsx.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
/** Output name (dist/NAME.js) -> source. */
const ENTRIES = {
  main: 'cli/main.ts',
  public: 'engine/search/public.ts',
  'search-worker': 'workers/search-worker.ts',
  'run-worker': 'workers/run-worker.ts',
};
const COMPILER_OPTIONS = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')).compilerOptions;

/**
 * Every module's `import.meta.url` made its source file's URL, computed from the chunk's own URL:
 * every chunk sits in dist/ itself, so the source's path relative to dist/ holds from any chunk,
 * wherever the package is installed. Paths built from it (the built-in scenarios, the report's
 * templates, the MATH worker, package.json) then point where they do when the sources run.
 * esbuild's define does the replacing, so a string that merely mentions import.meta.url is left alone.
 */
const sourceFileUrls = {
  name: 'source-file-urls',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const other = /import\.meta\.(?!url\b)\w+/.exec(source);
      if (other) return { errors: [{ text: `${args.path} uses ${other[0]}, which would name the chunk in dist/, not the source file: use import.meta.url` }] };
      const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'node20', sourcefile: args.path, tsconfigRaw: { compilerOptions: COMPILER_OPTIONS }, define: { 'import.meta.url': 'ditsSourceUrl' } });
      if (!code.includes('ditsSourceUrl')) return { contents: code, loader: 'js' };
      const fromDist = relative(DIST, args.path).split(sep).join('/');
      return { contents: `const ditsSourceUrl = new URL(${JSON.stringify(fromDist)}, import.meta.url).href;\n${code}`, loader: 'js' };
    });
  },
};

/** The declarations of the package entry, for policy files written in TypeScript. */
function declarations(outDir) {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), { noEmit: false, declaration: true, emitDeclarationOnly: true, outDir, rootDir: ROOT }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail([d]) });
  const program = ts.createProgram({ rootNames: [join(ROOT, ENTRIES.public)], options: config.options });
  const { diagnostics } = program.emit();
  if (diagnostics.length > 0) fail(diagnostics);
}

function fail(diagnostics) {
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
  throw new Error(`type declarations: ${ts.formatDiagnostics(diagnostics, host)}`);
}

/** Files under `dir`, relative to it. */
function files(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

// Taken before esbuild reads anything: a source saved during the build counts as newer than it.
const time = Date.now();
const tmp = mkdtempSync(join(ROOT, '.dist-'));
try {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES,
    outdir: tmp,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    define: { DITS_BUILT: 'true' },
    metafile: true,
    logLevel: 'warning',
    plugins: [sourceFileUrls],
  });
  declarations(join(tmp, 'types'));
  const inputs = [...Object.keys(result.metafile.inputs), relative(ROOT, fileURLToPath(import.meta.url))].sort();
  writeFileSync(join(tmp, 'build.json'), `${JSON.stringify({ time, inputs }, null, 1)}\n`);

  // Into dist/ one file at a time, each by an atomic rename, and build.json last, while other
  // dits processes may be running from dist/: a chunk is written before the files that import it,
  // and a process reads either the old build.json or the new one, never half of one.
  const order = (f) => (f === 'build.json' ? 2 : Object.hasOwn(ENTRIES, f.replace(/\.js$/, '')) ? 1 : 0);
  const built = files(tmp).sort((a, b) => order(a) - order(b));
  mkdirSync(DIST, { recursive: true });
  const before = files(DIST);
  for (const f of built) {
    mkdirSync(dirname(join(DIST, f)), { recursive: true });
    renameSync(join(tmp, f), join(DIST, f));
  }
  // The previous build's other chunks go. A process started from it has imported its command's
  // chunks in its first moments; what it loads later (a worker pool's entry, the report's
  // markdown) comes from this build. Both only matter when the sources changed in between.
  const kept = new Set(built);
  for (const f of before) if (!kept.has(f)) rmSync(join(DIST, f), { force: true });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
