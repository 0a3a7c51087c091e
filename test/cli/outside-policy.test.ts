/**
 * A policy file anywhere on disk, .ts or .js, with no package.json beside it, importing from 'dits'.
 * In child processes (dits(), not cli()): loading it is the job of Node's module hooks
 * (engine/search/policies/file-hooks.mjs), which vitest's own module runner would bypass.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dits, tempDir } from './helpers.ts';

const dir = tempDir('dits-outside-policy-');
const ts = join(dir, 'last-open.ts');
writeFileSync(
  ts,
  `import { ROOT, unselectedExpandable, type SearchPolicy, type SelectionContext } from 'dits';
const policy: SearchPolicy = {
  name: 'last-open', params: {}, selections: 4, rollouts: 2, temperature: 0.7,
  select({ tree, selected, maxDepth }: SelectionContext): number {
    const open = unselectedExpandable(tree, selected, maxDepth);
    return open[open.length - 1] ?? ROOT;
  },
};
export default policy;
`,
);
const js = join(dir, 'root-only.js');
writeFileSync(js, "export default { name: 'root-only', params: {}, selections: 3, rollouts: 2, temperature: 0.7, select: () => 0 };\n");

describe('a policy file outside the checkout', () => {
  it.each([
    ['.ts importing dits', ts, 'last-open'],
    ['plain .js', js, 'root-only'],
  ])('%s runs with dits search, in the main thread and in worker threads, its hash in the manifest', (_, file, name) => {
    for (const threads of ['1', '2']) {
      const out = join(dir, `${name}-${threads}`);
      const r = dits(['search', '--scenario', 'gsm8k', '--generate', '8', '--policy', file, '--threads', threads, '--out', out, '--quiet']);
      expect(r.status, r.stderr).toBe(0);
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      expect(manifest.policy).toMatchObject({ name, file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') });
    }
  });

  it('is stressed by dits stress', () => {
    const r = dits(['stress', ts, '--runs', '10', '--no-threads', '--quiet']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^held +legal-node/m);
  });
});
