/**
 * Cost of one MATH equivalence check in its worker, the Comlink client against the hand-rolled
 * postMessage client it replaced (taken from git at OLD_REV, into a folder beside this file so
 * the old worker resolves the same packages). Both check the same typical pairs, the ones that
 * get past the string comparison in math.ts, so every call reaches the worker.
 *
 *   node bin/run-ts.mjs bench/math-equivalence.ts [pairs=300]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkInWorker, closeMathWorkers } from '../scenarios/metrics/math-client.ts';
import { median } from './stats.ts';

const OLD_REV = '90ddf72';
const N = Number(process.argv[2] ?? 300);
const GUARD_MS = 60_000;

/** Fractions against decimals, surds, tuples, polynomials, intervals: what MATH answers look like. */
function pairs(n: number): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 1; out.length < n; i++) {
    const k = i + 1;
    const forms: [string, string][] = [
      [`\\frac{${i}}{${2 * k}}`, `${(i / (2 * k)).toFixed(3)}`],
      [`${k}\\sqrt{${i + 1}}`, `\\sqrt{${k * k * (i + 1)}}`],
      [`(${i}, \\frac{${k}}{2})`, `\\left(${i}, ${k / 2}\\right)`],
      [`(x+${i})^2`, `x^2+${2 * i}x+${i * i}`],
      [`[${i}, ${k})`, `\\left[${i},${k}\\right)`],
      [`\\dfrac{${i}\\pi}{${k}}`, `${i}\\pi/${k + (i % 2)}`],
    ];
    out.push(...forms);
  }
  return out.slice(0, n);
}

type Check = (a: string, b: string) => Promise<unknown>;

async function measure(check: Check, work: [string, string][]): Promise<number> {
  for (const [a, b] of work.slice(0, 20)) await check(a, b); // start-up and JIT warm-up
  const us: number[] = [];
  for (const [a, b] of work) {
    const t0 = performance.now();
    await check(a, b);
    us.push((performance.now() - t0) * 1000);
  }
  return median(us);
}

const oldDir = fileURLToPath(new URL(`./.math-old-${OLD_REV}/`, import.meta.url));
mkdirSync(oldDir, { recursive: true });
try {
  for (const file of ['math-client.ts', 'math-worker.mjs']) {
    writeFileSync(oldDir + file, execFileSync('git', ['show', `${OLD_REV}:scenarios/metrics/${file}`], { cwd: oldDir }));
  }
  const old = (await import(`${oldDir}math-client.ts`)) as { checkInWorker: (a: string, b: string, ms: number) => Promise<unknown>; closeMathWorkers: () => Promise<void> };
  const work = pairs(N);
  // Alternate the two so drift on shared cores hits both alike.
  const rounds = 3;
  const before: number[] = [];
  const after: number[] = [];
  for (let r = 0; r < rounds; r++) {
    before.push(await measure((a, b) => old.checkInWorker(a, b, GUARD_MS), work));
    after.push(await measure((a, b) => checkInWorker(a, b, GUARD_MS), work));
  }
  await old.closeMathWorkers();
  await closeMathWorkers();
  const b = median(before);
  const a = median(after);
  console.log(`math equivalence, ${work.length} pairs x ${rounds} rounds, median us per check`);
  console.log(`  hand-rolled postMessage (${OLD_REV}): ${b.toFixed(0)}`);
  console.log(`  Comlink + budget (this tree):     ${a.toFixed(0)}`);
  console.log(`  ratio new/old: ${(a / b).toFixed(3)}`);
} finally {
  rmSync(oldDir, { recursive: true, force: true });
}
