/**
 * How `dits simulate` scales with the number of tasks: the real CLI as a child process,
 * `node bin/dits.mjs simulate --scenario S --generate N --seed 1 --quiet --out <tmp> --overwrite`,
 * at 5k, 10k, 20k and 40k generated tasks (sim backend), so start-up, the task generator, the
 * token normalizer, trajectories.jsonl and the summary are all in the wall time.
 *
 * Figures are medians over repeats; each repeat runs every size once, in an order that turns
 * around from one repeat to the next, so a neighbour's load on a shared machine falls on all
 * sizes alike. Two ratios:
 *   end to end      t(40k) / t(5k): linear work gives a little under 8 (start-up is paid once);
 *                   the target is at most 8.5.
 *   marginal        the cost of one more task at the large end against the small end,
 *                   ((t(40k) - t(20k)) / 20k) / ((t(10k) - t(5k)) / 5k): start-up cancels, so
 *                   linear work gives 1 and a lookup that grows with the tasks seen shows here.
 *
 *   node bin/run-ts.mjs bench/simulate-scaling.ts [--sizes 5000,10000,20000,40000] [--repeats 3] [--scenario hotpotqa]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HAS_TIME, runDits, type ChildFigures } from './cli-child.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '5000,10000,20000,40000' },
    repeats: { type: 'string', default: '3' },
    scenario: { type: 'string', default: 'hotpotqa' },
  },
});
const SIZES = values.sizes.split(',').map(Number).sort((a, b) => a - b);
const REPEATS = Number(values.repeats);
const SCENARIO = values.scenario;
const TARGET_RATIO = 8.5;

const work = mkdtempSync(join(tmpdir(), 'dits-bench-simulate-'));
const out = join(work, 'run');

function simulate(tasks: number): Promise<ChildFigures> {
  return runDits(['simulate', '--scenario', SCENARIO, '--generate', String(tasks), '--seed', '1', '--quiet', '--out', out, '--overwrite']);
}

const fmtS = (s: number) => `${s.toFixed(2)} s`;
const fmtMB = (b: number) => `${Math.round(b / 1024 ** 2).toLocaleString('en-US')} MB`;

const cpu = cpus();
console.log(
  `simulate scaling: dits simulate --scenario ${SCENARIO} --generate N --seed 1 (sim backend, concurrency 16), N = ${SIZES.join(', ')}, ` +
    `${REPEATS} repeats, medians; child processes of the real CLI`,
);
console.log(
  `machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), node ${process.version}; RSS and CPU by ${HAS_TIME ? 'GNU time (%M, %U+%S)' : 'getrusage in the child'}`,
);

// One unmeasured run: tsx's compile cache and the page cache are warm after it.
await simulate(100);

const runs = new Map<number, ChildFigures[]>(SIZES.map((n) => [n, []]));
for (let r = 0; r < REPEATS; r++) {
  const order = r % 2 === 0 ? SIZES : [...SIZES].reverse();
  for (const n of order) runs.get(n)?.push(await simulate(n));
  console.log(`  repeat ${r + 1}: ${SIZES.map((n) => `${n}: ${fmtS(runs.get(n)?.at(-1)?.wallS ?? NaN)}`).join('  ')}`);
}
rmSync(work, { recursive: true, force: true });

const med = (n: number, k: keyof ChildFigures) => median((runs.get(n) ?? []).map((f) => f[k]));
const smallest = SIZES[0] as number;
const largest = SIZES.at(-1) as number;
console.log('\n       N      wall       cpu   peak RSS   ms/task   wall / wall(smallest)');
for (const n of SIZES) {
  const wall = med(n, 'wallS');
  console.log(
    `  ${String(n).padStart(6)}  ${fmtS(wall).padStart(8)}  ${fmtS(med(n, 'cpuS')).padStart(8)}  ${fmtMB(med(n, 'peakRssBytes')).padStart(9)}` +
      `  ${((1000 * wall) / n).toFixed(3).padStart(8)}   ${(wall / med(smallest, 'wallS')).toFixed(2)}x for ${(n / smallest).toFixed(0)}x the tasks`,
  );
}
const ratio = med(largest, 'wallS') / med(smallest, 'wallS');
console.log(
  `\nend to end t(${largest}) / t(${smallest}): ${ratio.toFixed(2)}x for ${(largest / smallest).toFixed(0)}x the tasks` +
    (largest === 8 * smallest ? `  [target <= ${TARGET_RATIO}x: ${ratio <= TARGET_RATIO ? 'ok' : 'MISSED'}]` : ''),
);
if (SIZES.length >= 4) {
  const [a, b] = SIZES as [number, number];
  const [c, d] = SIZES.slice(-2) as [number, number];
  const perTask = (x: number, y: number) => (med(y, 'wallS') - med(x, 'wallS')) / (y - x);
  const low = perTask(a, b);
  const high = perTask(c, d);
  console.log(
    `marginal cost of a task: ${(1000 * low).toFixed(3)} ms between ${a} and ${b}, ${(1000 * high).toFixed(3)} ms between ${c} and ${d}: ` +
      `${(high / low).toFixed(2)}x (1 is linear)`,
  );
}
