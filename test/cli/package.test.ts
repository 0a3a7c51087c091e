/**
 * The package as a user gets it: `npm pack` (which builds dist/ first), the tarball installed into
 * a fresh project, and its `dits` run there - help, the built-in scenarios, a small run on MATH
 * (the equivalence worker, the report's templates and viewer), and a search in two worker threads
 * with a JavaScript policy file that imports 'dits'. A file the package misses fails one of them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, tempDir, type CliResult } from './helpers.ts';

const dir = tempDir('dits-package-');
const project = join(dir, 'project');
let packed: { filename: string; files: { path: string }[] };

function installedDits(args: string[]): CliResult {
  const r = spawnSync(join(project, 'node_modules/.bin/dits'), args, { cwd: project, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the npm package', () => {
  beforeAll(() => {
    const json = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    packed = JSON.parse(json)[0];
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), '{ "name": "uses-dits", "version": "1.0.0", "private": true, "type": "module" }\n');
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, packed.filename)], { cwd: project, stdio: 'ignore' });
  }, 120_000);

  // The project's node_modules is some 80 MB.
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds dist/ and what it reads at run time, and nothing of the tests or benchmarks', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['bin/dits.mjs', 'dist/main.js', 'dist/build.json', 'scenarios/builtin/gsm8k.yaml', 'README.md']));
    expect(paths.filter((p) => /^(test|bench|docs|\.ci)\/|\.test\.ts$|(^|\/)fixtures\//.test(p))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(project, 'node_modules/dits/package.json'), 'utf8'));
    for (const target of Object.values(pkg.exports['.'] as Record<string, string>)) expect(existsSync(join(project, 'node_modules/dits', target)), target).toBe(true);
  });

  it('runs dits --help and dits scenario list', () => {
    const help = installedDits(['--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^ {2}run +the DITS loop/m);
    const list = installedDits(['scenario', 'list']);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^math +debate +math /m);
  });

  it('runs a small dits run on MATH and writes the run folder and its report', () => {
    const r = installedDits(['run', '--scenario', 'math', '--iterations', '1', '--sft-tasks', '8', '--sft-samples', '2', '--search-tasks', '6', '--validation', '4', '--test-tasks', '6', '--out', 'run', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['manifest.json', 'metrics.json', 'report.html', 'iter-0']) expect(existsSync(join(project, 'run', f)), f).toBe(true);
    expect(readFileSync(join(project, 'run/report.html'), 'utf8')).toMatch(/<script>.{1000,}<\/script>/s);
  });

  it("searches in two worker threads with a policy file that imports 'dits'", () => {
    writeFileSync(
      join(project, 'last-open.js'),
      `import { ROOT, unselectedExpandable } from 'dits';
export default { name: 'last-open', params: {}, selections: 3, rollouts: 2, temperature: 0.7,
  select: ({ tree, selected, maxDepth }) => unselectedExpandable(tree, selected, maxDepth).at(-1) ?? ROOT };
`,
    );
    const r = installedDits(['search', '--scenario', 'gsm8k', '--generate', '4', '--policy', './last-open.js', '--threads', '2', '--out', 'search', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(project, 'search/manifest.json'), 'utf8')).policy).toMatchObject({ name: 'last-open' });
  });
});
