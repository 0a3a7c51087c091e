/**
 * The viewer script, bundled with esbuild (d3 modules included) into one minified IIFE that
 * the page inlines, so a report needs no network and no other file. It is built when a report
 * is first written in a process, from the sources as they are (no stale copy can be served),
 * and kept for the rest of the process: `dits compare` writes a report per run.
 * esbuild's output depends only on its version and the sources, so reports stay byte-identical.
 */
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./viewer/main.ts', import.meta.url));

let built: Promise<string> | undefined;

export function viewerScript(): Promise<string> {
  built ??= bundle();
  return built;
}

async function bundle(): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2020',
    minify: true,
    // d3's licence headers stay with its code.
    legalComments: 'inline',
    write: false,
    logLevel: 'silent',
  });
  const code = (result.outputFiles[0] as { text: string }).text;
  // The script goes inside <script>…</script>; esbuild escapes the sequence in strings, and a
  // bundle that still held it would end the element early.
  if (/<\/script/i.test(code)) throw new Error('the viewer bundle contains "</script": it cannot be inlined in the report');
  return code;
}
