/**
 * `dits simulate`: one dialogue per task with a backend, scored and rewarded, emitted in task
 * order whatever order the dialogues finish in.
 */
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';
import { prepareDialogue, runDialogue } from './dialogue.ts';
import type { ModelBackend } from '../base/model-backend.ts';
import { tokenNormalizerP80 } from '../reward/reward.ts';
import { DialogueScorer } from './scoring.ts';
import { scoreDialogue, withReward, type ScoredDialogue, type Trajectory } from './trajectory.ts';

/** §2.1: the search-path token normalizer is the P80 over 100 sampled conversations. */
export const NORMALIZER_SAMPLE = 100;

export interface SimulateOptions {
  scenario: Scenario;
  backend: ModelBackend;
  seed: number;
  temperature: number;
  /** Dialogues in flight at once. */
  concurrency: number;
  /** Fixed token normalizer M; by default the P80 of the run's first 100 dialogues. */
  normalizer?: number;
  /** Called with each batch of tasks before its dialogues start (the simulated model indexes its oracle here). */
  prepare?: (tasks: readonly Task[]) => void;
  onTrajectory: (t: Trajectory) => void | Promise<void>;
  onProgress?: (done: number, last: ScoredDialogue) => void;
}

export interface SimulateSummary {
  dialogues: number;
  meanScore: number;
  meanTokens: number;
  meanReward: number;
  normalizer: number;
}

/** The dialogue for one task: context split and sampling keyed by (seed, task id). */
export async function simulateTask(
  opts: Pick<SimulateOptions, 'scenario' | 'backend' | 'seed' | 'temperature'>,
  scorer: DialogueScorer,
  task: Task,
): Promise<ScoredDialogue> {
  const { scenario, backend, seed } = opts;
  const setup = prepareDialogue(scenario, task, seed);
  const dialogue = await runDialogue(setup, backend, {
    seedKey: [seed, task.id, 'simulate'],
    temperature: opts.temperature,
    mode: 'generate',
  });
  return scoreDialogue(scorer, task, setup.information, dialogue);
}

export async function simulate(tasks: AsyncIterable<Task>, opts: SimulateOptions): Promise<SimulateSummary> {
  const scorer = new DialogueScorer(opts.scenario, opts.backend);
  const pending: ScoredDialogue[] = [];
  let normalizer = opts.normalizer;
  let n = 0;
  let sumScore = 0;
  let sumTokens = 0;
  let sumReward = 0;

  const emit = async (d: ScoredDialogue, m: number) => {
    const t = withReward(scorer, d, m);
    n++;
    sumScore += t.score;
    sumTokens += t.token_count;
    sumReward += t.reward.total;
    await opts.onTrajectory(t);
  };
  const flushPending = async () => {
    normalizer ??= tokenNormalizerP80(pending.map((d) => d.token_count));
    for (const d of pending.splice(0)) await emit(d, normalizer);
  };

  let done = 0;
  const runBatch = async (batch: Task[]) => {
    opts.prepare?.(batch);
    const results = await Promise.all(
      batch.map(async (task) => {
        const d = await simulateTask(opts, scorer, task);
        opts.onProgress?.(++done, d);
        return d;
      }),
    );
    for (const d of results) {
      if (normalizer === undefined) {
        pending.push(d);
        if (pending.length >= NORMALIZER_SAMPLE) await flushPending();
      } else {
        await emit(d, normalizer);
      }
    }
  };

  let batch: Task[] = [];
  for await (const task of tasks) {
    batch.push(task);
    if (batch.length >= opts.concurrency) {
      await runBatch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await runBatch(batch);
  if (pending.length > 0) await flushPending();

  return {
    dialogues: n,
    meanScore: n ? sumScore / n : 0,
    meanTokens: n ? sumTokens / n : 0,
    meanReward: n ? sumReward / n : 0,
    normalizer: normalizer ?? 0,
  };
}
