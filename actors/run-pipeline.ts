/**
 * `dits run`: the iterative DITS loop (§3.4) as a machine whose states walk the stages of each
 * iteration. Every finished stage is recorded in `progress.json` (with the budget meters) after
 * its outputs are on disk, so `--resume` starts at the first unfinished stage and ends with the
 * same files as an unbroken run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assign, createActor, fromPromise, setup, toPromise } from 'xstate';
import { writeJsonAtomic } from '../engine/storage/files.ts';
import { Meter, METERS, type MeterName, type MeterReading } from '../engine/base/budget.ts';
import type { EvalResult } from '../engine/base/eval-result.ts';
import { writeRunReport } from './run-report.ts';
import { candidatePool, iterDir, meterReadings, STAGE_FUNCTIONS, STAGES, type RunEnv, type Stage } from './run-stages.ts';

export interface StageMark {
  iteration: number;
  stage: Stage;
}

export interface RunProgress {
  completed: StageMark[];
  meters: Record<MeterName, MeterReading>;
}

const PROGRESS = 'progress.json';

export function readProgress(out: string): RunProgress | undefined {
  const file = join(out, PROGRESS);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunProgress) : undefined;
}

/** Meters restored from a progress record, so a resumed run keeps counting where it stopped. */
export function restoreMeters(progress: RunProgress | undefined): Record<MeterName, Meter> {
  return Object.fromEntries(
    METERS.map((name) => {
      const m = new Meter();
      const r = progress?.meters[name];
      if (r) Object.assign(m, r);
      return [name, m];
    }),
  ) as Record<MeterName, Meter>;
}

/** Position of a stage in the run: iteration-major. */
const position = (m: StageMark) => m.iteration * STAGES.length + STAGES.indexOf(m.stage);

interface PipelineContext {
  env: RunEnv;
  /** A stage's failure, rethrown by runPipeline. */
  error?: unknown;
  next: number;
  completed: StageMark[];
  /** Stages this session may still run (a time-boxed run stops cleanly and resumes later). */
  allowance: number;
}

export interface IterationReport {
  iteration: number;
  eval: EvalResult;
  pairsCandidate: number;
  pairsKept: number;
  meters: Record<MeterName, MeterReading>;
}

/** A stage at work: its function over the run folder. */
const runStage = ({ input }: { input: { env: RunEnv; mark: StageMark } }) => STAGE_FUNCTIONS[input.mark.stage](input.env, input.mark.iteration);

const pipeline = setup({
  types: {} as { context: PipelineContext; input: { env: RunEnv; start: number; completed: StageMark[]; allowance: number } },
  actors: {
    stage: fromPromise<void, { env: RunEnv; mark: StageMark }>(runStage),
  },
  guards: {
    finished: ({ context }) => context.next >= context.env.config.iterations * STAGES.length || context.allowance <= 0,
  },
  actions: {
    record: assign(({ context }) => ({ completed: [...context.completed, markAt(context.next)], next: context.next + 1, allowance: context.allowance - 1 })),
    // After `record`, in the same transition: XState runs it before the next stage starts, so a
    // kill between two stages finds every finished stage on record.
    saveProgress: ({ context }) => writeJsonAtomic(join(context.env.out, PROGRESS), { completed: context.completed, meters: meterReadings(context.env) } satisfies RunProgress),
  },
}).createMachine({
  id: 'run',
  context: ({ input }) => ({ env: input.env, next: input.start, completed: input.completed, allowance: input.allowance }),
  initial: 'deciding',
  states: {
    deciding: { always: [{ guard: 'finished', target: 'done' }, { target: 'working' }] },
    working: {
      invoke: {
        src: 'stage',
        input: ({ context }) => ({ env: context.env, mark: markAt(context.next) }),
        onDone: { target: 'deciding', actions: ['record', 'saveProgress'] },
        onError: { target: 'failed', actions: assign({ error: ({ event }) => event.error }) },
      },
    },
    done: { type: 'final' },
    failed: { type: 'final' },
  },
});

function markAt(i: number): StageMark {
  return { iteration: Math.floor(i / STAGES.length), stage: STAGES[i % STAGES.length] as Stage };
}

/**
 * Runs the remaining stages, at most `maxStages` of them; `onStageStart` hears each one as it
 * begins (before the stage's first count) and `onStage` as it finishes. Returns true when the
 * run is complete.
 */
export async function runPipeline(
  env: RunEnv,
  progress: RunProgress | undefined,
  opts: { onStage?: (m: StageMark) => void; onStageStart?: (m: StageMark) => void; maxStages?: number } = {},
): Promise<boolean> {
  const { onStage, onStageStart } = opts;
  const completed = progress?.completed ?? [];
  const start = completed.length === 0 ? 0 : Math.max(...completed.map(position)) + 1;
  const announced = onStageStart
    ? pipeline.provide({
        actors: {
          stage: fromPromise<void, { env: RunEnv; mark: StageMark }>((args) => {
            onStageStart(args.input.mark);
            return runStage(args);
          }),
        },
      })
    : pipeline;
  const actor = createActor(announced, { input: { env, start, completed, allowance: opts.maxStages ?? Infinity } });
  if (onStage) {
    let seen = completed.length;
    actor.subscribe((s) => {
      for (; seen < s.context.completed.length; seen++) onStage(s.context.completed[seen] as StageMark);
    });
  }
  actor.start();
  await toPromise(actor);
  const { context } = actor.getSnapshot();
  // The failed stage's outputs may be partial, but it was never recorded: a resume redoes it.
  if (context.error !== undefined) throw context.error;
  const complete = context.next >= env.config.iterations * STAGES.length;
  if (complete) await writeRunReport(env);
  return complete;
}

/** What an iteration produced, from its files. */
export function iterationReport(env: RunEnv, t: number, meters: Record<MeterName, MeterReading>): IterationReport {
  const dir = iterDir(env, t);
  const lines = (f: string) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length;
  return {
    iteration: t,
    eval: JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8')) as EvalResult,
    // The train side of the 90/10 split: what selection chose from.
    pairsCandidate: candidatePool(env, t).length,
    pairsKept: lines('selected.jsonl'),
    meters,
  };
}
