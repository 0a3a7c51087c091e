/** The worker bundles: loadable from anywhere, and named by their code. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { workerBundle } from '../../workers/bundle.ts';

describe('worker bundles', () => {
  it.each(['search-worker', 'run-worker'] as const)('%s imports packages by absolute file URL and keeps no import.meta of its own', async (entry) => {
    const file = await workerBundle(entry);
    const code = readFileSync(file, 'utf8');
    const specifiers = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1] as string);
    expect(specifiers.length).toBeGreaterThan(0);
    for (const s of specifiers) expect(s).toMatch(/^(file:\/\/\/|node:)/);
    // Every module's import.meta.url became its source file's URL (the MATH checker finds its worker so).
    expect(code).not.toContain('import.meta');
    expect(code).toMatch(/new URL\("\.\/math-worker\.mjs", "file:\/\/\/.*\/scenarios\/metrics\/math-client\.ts"\)/);
  }, 60_000);

  it('is named by a hash of its code, so the same sources give the same file', async () => {
    const a = await workerBundle('search-worker');
    const b = await workerBundle('search-worker');
    expect(b).toBe(a);
    expect(a).toMatch(/search-worker-[0-9a-f]{16}\.mjs$/);
  }, 60_000);
});
