/**
 * `dits search --threads`: the speed-up from 1 to 2 worker threads on the simulated model, and
 * the memory of a 10,000-task search. Every figure comes from the real CLI run as a child
 * process (`node bin/dits.mjs search --scenario gsm8k --generate N --quiet --formats trl
 * --threads T --out <tmp>`), so start-up, module loading (tsx), worker start, the token
 * normalizer's 100 dialogues, checkpoint, trees/pairs files and the trl export are all inside
 * the wall time. Peak RSS is the child's max resident set (GNU time's %M, or getrusage in the
 * child when /usr/bin/time is missing): one process, so every worker thread is in it.
 *
 * The search-only part is estimated by difference: each repeat also runs a small N (--small,
 * default 300) at the same thread count, and (t(N) - t(small)) / (N - small) is the marginal
 * cost of one task. That cancels what does not grow with N (node and tsx start-up, module
 * loading in every thread, the tokenizer tables, worker start, the normalizer) and keeps what
 * does (the search, the main thread's per-task work: handing outputs over, checkpoint records,
 * trees.msgpack, pairs.jsonl, the export).
 *
 *   node bin/run-ts.mjs bench/threads.ts [--tasks 3000] [--repeats 3] [--small 300] [--big 10000] [--profile]
 *
 * --big 0 skips the 10,000-task run. --profile adds one --cpu-prof run per thread count (one
 * profile per thread: main, workers, and tsx's loader-hook threads) and prints where each
 * thread's time goes. Profiles sample wall time: a thread waiting for a core is charged to
 * whatever it was running.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { HAS_TIME, ROOT, runDits, type ChildFigures } from './cli-child.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '3000' },
    repeats: { type: 'string', default: '3' },
    small: { type: 'string', default: '300' },
    big: { type: 'string', default: '10000' },
    profile: { type: 'boolean', default: false },
  },
});
const N = Number(values.tasks);
const REPEATS = Number(values.repeats);
const SMALL = Number(values.small);
const BIG = Number(values.big);
const TARGETS = { speedup: 1.7, peakRssBytes: 2 * 1024 ** 3 };

const work = mkdtempSync(join(tmpdir(), 'dits-bench-threads-'));

/** One `dits search` child; `out` is left in place for the caller to compare or remove. */
function runCli(tasks: number, threads: number, out: string, nodeFlags: string[] = []): Promise<ChildFigures> {
  const args = ['search', '--scenario', 'gsm8k', '--generate', String(tasks), '--quiet', '--formats', 'trl', '--threads', String(threads), '--out', out];
  return runDits(args, nodeFlags);
}

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

function compareFolders(a: string, b: string): { files: number; bytes: number; differing: string[] } {
  const fa = listFiles(a);
  const fb = listFiles(b);
  const differing = [...fa.filter((f) => !fb.includes(f)), ...fb.filter((f) => !fa.includes(f))].map((f) => `${f} (only in one)`);
  let bytes = 0;
  for (const f of fa.filter((x) => fb.includes(x))) {
    const x = readFileSync(join(a, f));
    const y = readFileSync(join(b, f));
    bytes += x.length;
    if (!x.equals(y)) differing.push(f);
  }
  return { files: fa.length, bytes, differing };
}

const fmtS = (s: number) => `${s.toFixed(2)} s`;
const fmtMB = (b: number) => `${Math.round(b / 1024 ** 2).toLocaleString('en-US')} MB`;

const benchStart = performance.now();
const cpu = cpus();
console.log(
  `threads bench: dits search --scenario gsm8k --generate ${N} --formats trl (sim backend, optima 8x3, concurrency 8), threads 1 vs 2, ` +
    `${REPEATS} repeats alternating, medians; child processes of the real CLI`,
);
console.log(
  `machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 1024 ** 3)} GB RAM, node ${process.version}; ` +
    `RSS and CPU by ${HAS_TIME ? 'GNU time (%M, %U+%S)' : 'getrusage in the child'}`,
);

// One unmeasured run per thread count: tsx's compile cache and the page cache are warm after it.
for (const t of [1, 2]) {
  rmSync(join(work, 'warm'), { recursive: true, force: true });
  await runCli(50, t, join(work, 'warm'));
}

const full: Record<number, ChildFigures[]> = { 1: [], 2: [] };
const small: Record<number, ChildFigures[]> = { 1: [], 2: [] };
let identity: ReturnType<typeof compareFolders> | undefined;
/** Per repeat: wall time until both of two simultaneous --threads 1 runs of N tasks finished. */
const pair: number[] = [];
for (let r = 0; r < REPEATS; r++) {
  for (const t of r % 2 === 0 ? [1, 2] : [2, 1]) {
    const out = join(work, `n${N}-t${t}`);
    rmSync(out, { recursive: true, force: true });
    full[t]?.push(await runCli(N, t, out));
    const outSmall = join(work, `small-t${t}`);
    rmSync(outSmall, { recursive: true, force: true });
    small[t]?.push(await runCli(SMALL, t, outSmall));
    rmSync(outSmall, { recursive: true, force: true });
  }
  if (r === 0) identity = compareFolders(join(work, `n${N}-t1`), join(work, `n${N}-t2`));
  // The machine's own ceiling: two independent one-thread searches at once, as separate processes.
  const pairOuts = [join(work, 'pair-a'), join(work, 'pair-b')];
  for (const o of pairOuts) rmSync(o, { recursive: true, force: true });
  const pairRun = await Promise.all(pairOuts.map((o) => runCli(N, 1, o)));
  pair.push(Math.max(...pairRun.map((p) => p.wallS)));
  for (const o of pairOuts) rmSync(o, { recursive: true, force: true });
  for (const t of [1, 2]) rmSync(join(work, `n${N}-t${t}`), { recursive: true, force: true });
  console.log(
    `  repeat ${r + 1}: ` +
      [1, 2]
        .map((t) => {
          const f = full[t]?.at(-1) as ChildFigures;
          const s = small[t]?.at(-1) as ChildFigures;
          return `threads ${t}: N=${N} ${fmtS(f.wallS)} (cpu ${fmtS(f.cpuS)}, ${fmtMB(f.peakRssBytes)}), N=${SMALL} ${fmtS(s.wallS)}`;
        })
        .join(' | ') + ` | two threads-1 processes at once: ${fmtS(pair.at(-1) as number)}`,
  );
}

const med = (xs: ChildFigures[] | undefined, k: keyof ChildFigures) => median((xs ?? []).map((x) => x[k]));
/** Per repeat: marginal seconds per task, (t(N) - t(small)) / (N - small). */
const marginal = (t: number) => median((full[t] ?? []).map((f, i) => (f.wallS - (small[t]?.[i] as ChildFigures).wallS) / (N - SMALL)));
const marginalCpu = (t: number) => median((full[t] ?? []).map((f, i) => (f.cpuS - (small[t]?.[i] as ChildFigures).cpuS) / (N - SMALL)));

console.log(`\nend to end, N=${N} (everything the CLI does, start-up included):`);
for (const t of [1, 2]) {
  console.log(
    `  threads ${t}: wall ${fmtS(med(full[t], 'wallS'))}  (${Math.round(N / med(full[t], 'wallS'))} tasks/s)  cpu ${fmtS(med(full[t], 'cpuS'))}  peak RSS ${fmtMB(med(full[t], 'peakRssBytes'))}`,
  );
}
const endToEnd = med(full[1], 'wallS') / med(full[2], 'wallS');
console.log(`  speed-up 1 -> 2 threads: ${endToEnd.toFixed(2)}x  [target ${TARGETS.speedup}x: ${endToEnd >= TARGETS.speedup ? 'ok' : 'MISSED'}]`);

console.log(`\nfixed part, N=${SMALL} (start-up, module loading per thread, worker start, normalizer, and ${SMALL} tasks):`);
for (const t of [1, 2]) console.log(`  threads ${t}: wall ${fmtS(med(small[t], 'wallS'))}  cpu ${fmtS(med(small[t], 'cpuS'))}`);

console.log(`\nsearch-only estimate, (t(${N}) - t(${SMALL})) / ${N - SMALL} per repeat, median (per-task search + the main thread's per-task output work):`);
for (const t of [1, 2]) {
  const m = marginal(t);
  console.log(`  threads ${t}: ${(m * 1000).toFixed(3)} ms/task wall  (${Math.round(1 / m)} tasks/s)  ${(marginalCpu(t) * 1000).toFixed(3)} ms/task cpu`);
}
const searchOnly = marginal(1) / marginal(2);
console.log(
  `  speed-up 1 -> 2 threads: ${searchOnly.toFixed(2)}x  [target ${TARGETS.speedup}x: ${searchOnly >= TARGETS.speedup ? 'ok' : 'MISSED'}]; ` +
    `cpu per task x${(marginalCpu(2) / marginalCpu(1)).toFixed(2)} with 2 threads`,
);

const alone = med(full[1], 'wallS');
const ceiling = (2 * alone) / median(pair);
console.log(
  `\nmachine ceiling: two independent --threads 1 processes of N=${N} at once finish in ${fmtS(median(pair))} vs ${fmtS(alone)} for one alone: ` +
    `${ceiling.toFixed(2)}x the throughput of one. A lone --threads 1 run already keeps ${(med(full[1], 'cpuS') / alone).toFixed(2)} cores busy ` +
    `(V8's GC and compiler threads beside the main thread), so this is about the best any 2-thread run can do on this machine.`,
);
console.log(`  two threads reach ${((100 * searchOnly) / ceiling).toFixed(0)}% of that ceiling on the search alone, ${((100 * endToEnd) / ceiling).toFixed(0)}% end to end.`);

if (identity) {
  const ok = identity.differing.length === 0;
  console.log(
    `\nidentical outputs, N=${N}, threads 1 vs 2: ${ok ? 'yes' : 'NO'} (${identity.files} files, ${identity.bytes.toLocaleString('en-US')} bytes compared byte for byte` +
      `${ok ? '' : `; differing: ${identity.differing.join(', ')}`})`,
  );
}

if (BIG > 0) {
  const out = join(work, `big`);
  const b = await runCli(BIG, 2, out);
  const searched = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { tasks: number; nodes: number };
  rmSync(out, { recursive: true, force: true });
  console.log(
    `\n${BIG.toLocaleString('en-US')} tasks, threads 2, default budget 8x3 (one run): wall ${fmtS(b.wallS)}  cpu ${fmtS(b.cpuS)}  ` +
      `peak RSS ${fmtMB(b.peakRssBytes)} [target < ${fmtMB(TARGETS.peakRssBytes)}: ${b.peakRssBytes < TARGETS.peakRssBytes ? 'ok' : 'MISSED'}]  ` +
      `(${searched.tasks} tasks, ${searched.nodes.toLocaleString('en-US')} nodes)`,
  );
  // Peak RSS still grows with N (the main thread keeps every pair and SFT candidate for the export at the end).
  const atN = med(full[2], 'peakRssBytes');
  if (BIG > N) {
    const perTask = (b.peakRssBytes - atN) / (BIG - N);
    const reach = perTask > 0 ? `, so the 2 GB line at about ${Math.round((N + (TARGETS.peakRssBytes - atN) / perTask) / 1000)}k tasks if it stays linear` : '';
    console.log(`  growth: ${fmtMB(atN)} at N=${N} -> ${fmtMB(b.peakRssBytes)} at N=${BIG}: ${(perTask / 1024).toFixed(1)} KB a task${reach} (two points; GC heuristics make it rough)`);
  }
}
console.log(`\n(measurements took ${((performance.now() - benchStart) / 1000).toFixed(0)} s)`);

// ---- optional: where each thread's time goes -------------------------------------------------

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time by module (node_modules packages folded) and by function, and the thread's role. */
function summarise(file: string): string[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const totalMs = (p.endTime - p.startTime) / 1000;
  const byModule = new Map<string, number>();
  const byFn = new Map<string, number>();
  const urls = p.nodes.map((n) => n.callFrame.url);
  const role = urls.some((u) => u.includes('workers/search-worker.ts'))
    ? 'search worker'
    : urls.some((u) => u.includes('actors/run-search.ts'))
      ? 'main thread'
      : 'loader hooks (tsx)';
  for (const [id, us] of self) {
    const cf = (byId.get(id) as ProfileNode).callFrame;
    const url = cf.url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '').replace(/\?.*$/, '');
    let mod = url === '' ? cf.functionName : url.replace(/^node_modules\/([^/]+)\/.*$/, '$1 (package)');
    if (cf.functionName === 'atomicsWaitLoop') mod = 'piscina atomicsWaitLoop (worker waiting for a task)';
    byModule.set(mod, (byModule.get(mod) ?? 0) + us / 1000);
    const fn = `${cf.functionName || '(anonymous)'} ${url}${url ? `:${cf.lineNumber + 1}` : ''}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us / 1000);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, ms]) => `      ${ms.toFixed(0).padStart(6)} ms ${((100 * ms) / totalMs).toFixed(1).padStart(5)}%  ${k}`);
  return [`  ${role}: ${totalMs.toFixed(0)} ms profiled (${relative(work, file)})`, '    by module:', ...top(byModule, 10), '    by function:', ...top(byFn, 8)];
}

if (values.profile) {
  for (const t of [1, 2]) {
    const dir = join(work, `prof-t${t}`);
    const out = join(work, `prof-out-t${t}`);
    const f = await runCli(N, t, out, ['--cpu-prof', '--cpu-prof-dir', dir]);
    rmSync(out, { recursive: true, force: true });
    console.log(`\nprofile, threads ${t}, N=${N} (wall ${fmtS(f.wallS)} with the profiler on):`);
    for (const name of readdirSync(dir).sort()) {
      const lines = summarise(join(dir, name));
      // Loader-hook threads only wait: one line is enough for them.
      console.log((lines[0] as string).startsWith('  loader') ? lines[0] : lines.join('\n'));
    }
  }
}

rmSync(work, { recursive: true, force: true });
