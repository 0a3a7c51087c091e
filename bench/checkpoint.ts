/**
 * The checkpoint's cost as a share of search time. `dits search` always keeps a checkpoint
 * (actors/run-search.ts): every finished task's output is encoded (encodeTaskOutput) and
 * appended to search.ckpt by RecordLogAppender (frame, SHA-256 checksum, write, fsync every 64
 * records). This runs runSearch in process as `dits search --scenario gsm8k --generate N
 * --formats trl --threads 1` does (sim backend, optima 8x3, concurrency 8, normalizer estimated,
 * run folder in the temp dir) and times the checkpoint's own work directly:
 *
 *   append   RecordLogAppender.prototype.append and close, patched here to time the original
 *            (frame + checksum + write, and the fsyncs they make, which are also timed apart
 *            by patching sync)
 *   encode   encodeTaskOutput of each output: runSearch calls `checkpoint.append(encodeTaskOutput(o))`
 *            first thing in the onOutput it hands the searcher, so the time from the searcher's
 *            call of onOutput to the entry of append is that encode. The searcher here is the
 *            in-thread searcher of run-search.ts (not exported) rebuilt line for line, wrapped
 *            to take that timestamp.
 *
 * Overhead % = (encode + append) / search time, against the whole runSearch call (normalizer,
 * search, outputs, export) and against the searcher's part alone (the search loop with the
 * per-task output work). Medians over repeats. As a cross-check, an A/B: the same run with
 * append replaced by a no-op (no frame, checksum, write or fsync; the encode stays, since it is
 * inside runSearch), alternating with the normal run; the median of the paired differences.
 *
 *   node bin/run-ts.mjs bench/checkpoint.ts [--tasks 2000] [--repeats 7] [--dir <folder for the run folders>]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { inThreadSearcher, runSearch, type SearchRunOptions, type TaskSearcher } from '../actors/run-search.ts';
import { RecordLogAppender } from '../engine/storage/record-log.ts';
import { loadPolicy } from '../engine/search/policies/index.ts';
import { DialogueScorer } from '../engine/dialogue/scoring.ts';
import { SimBackend } from '../engine/sim/backend.ts';
import { createSimWorld } from '../engine/sim/world.ts';
import { openTaskSource } from '../engine/tasks/task-source.ts';
import { resolveScenario } from '../scenarios/scenario-file.ts';
import type { Task } from '../scenarios/task.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '2000' },
    repeats: { type: 'string', default: '7' },
    dir: { type: 'string' },
  },
});
const TASKS = Number(values.tasks);
const REPEATS = Number(values.repeats);
const TARGET_PERCENT = 5;
const work = mkdtempSync(join(values.dir ?? tmpdir(), 'dits-bench-checkpoint-'));


// ---- instrumentation ---------------------------------------------------------------------------

const clock = {
  /** Set by the searcher just before it calls onOutput; cleared when append takes it. */
  outputCalledAt: -1,
  encodeMs: 0,
  appendMs: 0,
  syncMs: 0,
  records: 0,
  bytes: 0,
  syncs: 0,
  /** A/B: when true, append does nothing. */
  noop: false,
};
const proto = RecordLogAppender.prototype;
const { append, close, sync } = proto;
proto.append = function (this: RecordLogAppender, payload: Uint8Array): void {
  const entered = performance.now();
  if (clock.outputCalledAt >= 0) {
    clock.encodeMs += entered - clock.outputCalledAt;
    clock.outputCalledAt = -1;
  }
  clock.records++;
  clock.bytes += payload.length;
  if (clock.noop) return;
  append.call(this, payload);
  clock.appendMs += performance.now() - entered;
};
proto.close = function (this: RecordLogAppender): void {
  const t = performance.now();
  close.call(this);
  clock.appendMs += performance.now() - t;
};
proto.sync = function (this: RecordLogAppender): void {
  const t = performance.now();
  sync.call(this);
  clock.syncMs += performance.now() - t;
  clock.syncs++;
};

/** run-search.ts's own searcher, timed, with a timestamp before each onOutput. */
function timedSearcher(opts: SearchRunOptions, scorer: DialogueScorer, phase: { searcherMs: number }): TaskSearcher {
  // opts.prepare skips the tasks the normalizer's sampling prepared already.
  const inner = inThreadSearcher(opts, scorer, new Set());
  return async (tasks, ctx) => {
    const start = performance.now();
    await inner(tasks, {
      ...ctx,
      onOutput: (o, bytes) => {
        clock.outputCalledAt = performance.now();
        return ctx.onOutput(o, bytes);
      },
    });
    phase.searcherMs = performance.now() - start;
  };
}

interface RunFigures {
  totalMs: number;
  searcherMs: number;
  encodeMs: number;
  appendMs: number;
  syncMs: number;
  records: number;
  bytes: number;
  syncs: number;
}

const { scenario } = resolveScenario('gsm8k');
const policy = await loadPolicy('optima', {});

async function run(tasks: number, noop: boolean): Promise<RunFigures> {
  Object.assign(clock, { outputCalledAt: -1, encodeMs: 0, appendMs: 0, syncMs: 0, records: 0, bytes: 0, syncs: 0, noop });
  const out = join(work, `run-${noop ? 'noop' : 'ckpt'}`);
  rmSync(out, { recursive: true, force: true });
  const source = openTaskSource(scenario, { kind: 'generated', count: tasks }, 0, () => {});
  // As cli/backend.ts's sim backend: the world learns each batch as it streams in.
  const world = createSimWorld(scenario, []);
  const known = new Set<Task>();
  const backend = new SimBackend(world);
  const phase = { searcherMs: 0 };
  const opts: SearchRunOptions = {
    scenario,
    backend,
    prepare: (batch) => {
      const fresh = batch.filter((t) => !known.has(t));
      for (const t of fresh) known.add(t);
      world.addTasks(fresh);
    },
    policy,
    seed: 0,
    out,
    concurrency: 8,
    formats: ['trl'],
    fingerprint: source.description,
  };
  // runSearch makes its own scorer from the same scenario and backend; this one is the searcher's, as in run-search.ts.
  opts.searcher = timedSearcher(opts, new DialogueScorer(scenario, backend), phase);
  const start = performance.now();
  const summary = await runSearch(source.tasks, opts);
  const totalMs = performance.now() - start;
  if (summary.tasks !== tasks) throw new Error(`searched ${summary.tasks} of ${tasks} tasks`);
  rmSync(out, { recursive: true, force: true });
  const { encodeMs, appendMs, syncMs, records, bytes, syncs } = clock;
  return { totalMs, searcherMs: phase.searcherMs, encodeMs, appendMs, syncMs, records, bytes, syncs };
}

const benchStart = performance.now();
const cpu = cpus();
console.log(`checkpoint bench: runSearch in process, gsm8k, ${TASKS} generated tasks, threads 1 (sim, optima 8x3, concurrency 8, trl), median of ${REPEATS} repeats (after 1 warm-up)`);
console.log(`machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), node ${process.version}; run folders under ${work}`);

await run(Math.min(TASKS, 300), false);
const normal: RunFigures[] = [];
const noop: RunFigures[] = [];
for (let r = 0; r < REPEATS; r++) {
  // Alternate the order, so drift in the machine's speed falls on both sides.
  for (const n of r % 2 === 0 ? [false, true] : [true, false]) (n ? noop : normal).push(await run(TASKS, n));
  const f = normal.at(-1) as RunFigures;
  const b = noop.at(-1) as RunFigures;
  console.log(
    `  repeat ${r + 1}: runSearch ${(f.totalMs / 1000).toFixed(2)} s (searcher ${(f.searcherMs / 1000).toFixed(2)} s), encode ${f.encodeMs.toFixed(0)} ms, ` +
      `append ${f.appendMs.toFixed(0)} ms (fsync ${f.syncMs.toFixed(0)} ms) | append no-op: runSearch ${(b.totalMs / 1000).toFixed(2)} s`,
  );
}

const m = (k: keyof RunFigures, xs = normal) => median(xs.map((x) => x[k]));
const pct = (part: number, whole: number) => (100 * part) / whole;
const overheadTotal = median(normal.map((f) => pct(f.encodeMs + f.appendMs, f.totalMs)));
const overheadSearch = median(normal.map((f) => pct(f.encodeMs + f.appendMs, f.searcherMs)));
const f0 = normal[0] as RunFigures;
console.log(
  `\ncheckpoint: ${f0.records} records (1 header + ${f0.records - 1} tasks), ${(f0.bytes / 1024 ** 2).toFixed(1)} MB of payload, ` +
    `${(f0.bytes / (f0.records - 1) / 1024).toFixed(1)} KB a task, ${f0.syncs} fsyncs`,
);
console.log(`  per task: encode ${((1000 * m('encodeMs')) / TASKS).toFixed(1)} µs, append ${((1000 * (m('appendMs') - m('syncMs'))) / TASKS).toFixed(1)} µs + fsync ${((1000 * m('syncMs')) / TASKS).toFixed(1)} µs (${(m('syncMs') / f0.syncs).toFixed(2)} ms an fsync, one per 64 records)`);
console.log(
  `  medians: runSearch ${(m('totalMs') / 1000).toFixed(2)} s, of which the searcher ${(m('searcherMs') / 1000).toFixed(2)} s; ` +
    `encode ${m('encodeMs').toFixed(0)} ms + append ${(m('appendMs') - m('syncMs')).toFixed(0)} ms + fsync ${m('syncMs').toFixed(0)} ms = ${(m('encodeMs') + m('appendMs')).toFixed(0)} ms`,
);
console.log(
  `  overhead: ${overheadTotal.toFixed(2)}% of runSearch, ${overheadSearch.toFixed(2)}% of the searcher's time  ` +
    `[target < ${TARGET_PERCENT}%: ${overheadSearch < TARGET_PERCENT ? 'ok' : 'MISSED'}]`,
);
// Paired by repeat (the two runs of a repeat are back to back), then the median of the differences.
const abMs = median(normal.map((f, i) => f.totalMs - (noop[i] as RunFigures).totalMs));
const abPct = median(normal.map((f, i) => pct(f.totalMs - (noop[i] as RunFigures).totalMs, (noop[i] as RunFigures).totalMs)));
console.log(
  `  A/B cross-check: runSearch ${(m('totalMs') / 1000).toFixed(2)} s with the checkpoint vs ${(m('totalMs', noop) / 1000).toFixed(2)} s with append a no-op (medians); ` +
    `paired by repeat, the checkpoint costs ${abMs.toFixed(0)} ms (${abPct.toFixed(2)}%), against ${m('appendMs').toFixed(0)} ms timed in append (the encode runs in both)`,
);
rmSync(work, { recursive: true, force: true });
console.log(`\n(took ${((performance.now() - benchStart) / 1000).toFixed(0)} s)`);
