/**
 * What the run pipeline tells a display (actors/run-pipeline.ts, run-stages.ts): every stage as
 * it begins, before its first count; the counts of the stages that have one; a resumed search
 * counted from the tasks its checkpoint holds. And the base model's score, measured once.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRunEnv, DEFAULT_TRAINING } from '../../actors/run-env.ts';
import { MANIFEST, type RunManifest } from '../../actors/run-manifest.ts';
import { readProgress, runPipeline, type StageMark } from '../../actors/run-pipeline.ts';
import { scoreTestTasks, STAGES, type StageCount } from '../../actors/run-stages.ts';
import type { EvalResult } from '../../engine/base/eval-result.ts';
import { writeJsonAtomic } from '../../engine/storage/files.ts';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import { tempDir } from '../cli/helpers.ts';

const manifest: RunManifest = {
  dits_version: 'test',
  command: 'run',
  config: {
    scenario: resolveScenario('hotpotqa').scenario,
    seed: 5,
    iterations: 2,
    sftTasks: 4,
    sftSamples: 2,
    searchTasks: 6,
    validationTasks: 2,
    testTasks: 5,
    groupSize: 5,
    selection: { mode: 'mix', alpha: 0.5, gamma: 1 },
    training: DEFAULT_TRAINING,
  },
  tasks: { task_seed: 5 },
};

async function runFolder() {
  const out = join(tempDir(), 'run');
  mkdirSync(out, { recursive: true });
  writeJsonAtomic(join(out, MANIFEST), manifest);
  return { out, env: await createRunEnv(out, manifest) };
}

type Heard = { start: StageMark } | { count: StageCount };

/** Runs what is left of the folder's run, recording the stage starts and counts in order. */
async function listen(out: string, env: Awaited<ReturnType<typeof runFolder>>['env'], stopAt?: (c: StageCount, stage: string) => boolean) {
  const heard: Heard[] = [];
  let stage = '';
  env.progress = (c) => {
    heard.push({ count: c });
    if (stopAt?.(c, stage)) throw new Error('stopped for the test');
  };
  const run = runPipeline(env, readProgress(out), {
    onStageStart: (m) => {
      stage = m.stage;
      heard.push({ start: m });
    },
  });
  return { heard, run };
}

/** The counts heard during each stage, by `iteration:stage`. */
function countsByStage(heard: Heard[]): Map<string, StageCount[]> {
  const by = new Map<string, StageCount[]>();
  let key = '';
  for (const h of heard) {
    if ('start' in h) by.set((key = `${h.start.iteration}:${h.start.stage}`), []);
    else by.get(key)?.push(h.count);
  }
  return by;
}

describe('the run pipeline, heard by a display', () => {
  it('announces every stage before its counts, counts what has a count to its end, and scores the base model once', async () => {
    const { out, env } = await runFolder();
    const { heard, run } = await listen(out, env);
    expect(await run).toBe(true);
    expect(heard[0]).toEqual({ start: { iteration: 0, stage: 'sft-data' } });
    const starts = heard.flatMap((h) => ('start' in h ? [`${h.start.iteration}:${h.start.stage}`] : []));
    expect(starts).toEqual([0, 1].flatMap((t) => STAGES.map((s) => `${t}:${s}`)));
    const by = countsByStage(heard);
    const last = (key: string) => by.get(key)?.at(-1);
    expect(last('0:sft-data')).toEqual({ done: 4, total: 4 });
    expect(last('0:search')).toEqual({ done: 6, total: 6, resumed: 0 });
    expect(last('0:probes')?.done).toBe(last('0:probes')?.total);
    expect(last('0:dpo')).toEqual({ done: 1, total: 1 });
    // Iteration 0 scores the DPO model, the SFT model and the base model; later ones no base.
    expect(last('0:eval')).toEqual({ done: 15, total: 15 });
    expect(last('1:eval')).toEqual({ done: 10, total: 10 });
    for (const stage of ['sft', 'warm', 'select']) expect(by.get(`0:${stage}`)).toEqual([]);

    const evalOf = (t: number) => JSON.parse(readFileSync(join(out, `iter-${t}`, 'eval.json'), 'utf8')) as EvalResult;
    const base = evalOf(0).base;
    expect(base).toEqual(await scoreTestTasks(env, env.models.trainer.backendFor(env.models.base)));
    expect(evalOf(1).base).toBeUndefined();
    await env.close();
  }, 120_000);

  it('counts a resumed search from the tasks its checkpoint holds', async () => {
    const { out, env } = await runFolder();
    // The search stage fails after its third task, as a killed run would stop.
    const first = await listen(out, env, (c, stage) => stage === 'search' && c.done === 3);
    await expect(first.run).rejects.toThrow('stopped for the test');
    await env.close();

    const again = await createRunEnv(out, manifest);
    const { heard, run } = await listen(out, again);
    expect(await run).toBe(true);
    const search = countsByStage(heard).get('0:search');
    expect(search).toEqual([
      { done: 0, total: 6 },
      { done: 3, total: 6, resumed: 3 },
      { done: 4, total: 6, resumed: 3 },
      { done: 5, total: 6, resumed: 3 },
      { done: 6, total: 6, resumed: 3 },
    ]);
    await again.close();
  }, 120_000);
});
