/**
 * Worker threads run their entry module as one JavaScript file, bundled with esbuild when a
 * pool starts. Run as TypeScript, every worker registered tsx and loaded each module through
 * tsx's hook thread - half a second of CPU per worker, and one more thread each; the bundle
 * takes about a tenth of a second to build, once per pool, and a worker loads it like any
 * JavaScript file.
 *
 * The bundle may sit anywhere: packages stay external but are imported by their absolute file
 * URLs, and every module's `import.meta.url` is its own source file's, so paths built from it
 * (the MATH checker's worker, the built-in scenarios) point where they do in the main thread.
 * It is written under a name that is the hash of its code, so runs of the same code share it,
 * and a changed source is never served by a stale bundle.
 *
 * The build (dist/) has its workers built beside it, from the same sources at the same time, and
 * uses those.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { BUILT } from '../engine/base/built.ts';

export type WorkerEntry = 'search-worker' | 'run-worker';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Packages external, by absolute URL: the bundle then resolves them from wherever it is. */
const absolutePackages: Plugin = {
  name: 'absolute-packages',
  setup(b) {
    // Bare specifiers (esbuild's filters are Go regular expressions: no look-ahead for node:).
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'absolute-packages' || args.path.startsWith('node:')) return undefined;
      const found = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'absolute-packages' });
      if (found.errors.length > 0) return { errors: found.errors };
      // Node's built-in modules without the node: prefix resolve to themselves.
      return { path: found.external ? found.path : pathToFileURL(found.path).href, external: true };
    });
  },
};

/** Each module's `import.meta.url` as its source file's URL; other `import.meta` fields would silently point at the bundle. */
const ownFileUrls: Plugin = {
  name: 'own-file-urls',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const other = /import\.meta\.(?!url\b)\w+/.exec(source);
      if (other) return { errors: [{ text: `${args.path} uses ${other[0]}, which a worker bundle cannot keep: use import.meta.url` }] };
      return { contents: source.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  },
};

let cache: string | undefined;

/** Where bundles are kept: the project's node_modules/.cache, or a private temp folder (one per process) when that is read-only. */
function cacheDir(): string {
  if (cache) return cache;
  const preferred = join(ROOT, 'node_modules', '.cache', 'dits', 'workers');
  try {
    mkdirSync(preferred, { recursive: true });
    cache = preferred;
  } catch {
    cache = mkdtempSync(join(tmpdir(), 'dits-workers-'));
  }
  return cache;
}

const built = new Map<WorkerEntry, Promise<string>>();

/** The path of `entry` bundled from the current sources; built once per process (a run starts a pool per stage). */
export function workerBundle(entry: WorkerEntry): Promise<string> {
  if (BUILT) return Promise.resolve(join(ROOT, 'dist', `${entry}.js`));
  let file = built.get(entry);
  if (!file) {
    file = bundle(entry);
    built.set(entry, file);
  }
  return file;
}

async function bundle(entry: WorkerEntry): Promise<string> {
  // Loaded here, not at the top: the build never bundles, and esbuild's API costs its start-up.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(ROOT, 'workers', `${entry}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    plugins: [absolutePackages, ownFileUrls],
  });
  const code = (result.outputFiles[0] as { contents: Uint8Array }).contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const file = join(cacheDir(), `${entry}-${hash}.mjs`);
  if (!existsSync(file)) {
    // Another process may write the same bundle at once: each writes its own temp file and the rename is atomic.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  }
  return file;
}
