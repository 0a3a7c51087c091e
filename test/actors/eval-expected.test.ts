/**
 * The eval stage's expected-metric plumbing, in process, with a stand-in for
 * engine/sim/expected.ts (a placeholder on this branch): which models it scores, at which
 * temperature, and how eval.json and the compare summary carry the result.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createRunEnv, DEFAULT_TRAINING } from '../../actors/run-env.ts';
import { MANIFEST, type RunManifest } from '../../actors/run-manifest.ts';
import { runPipeline } from '../../actors/run-pipeline.ts';
import { writeJsonAtomic } from '../../engine/storage/files.ts';
import type { SimParams } from '../../engine/sim/params.ts';
import type { DialogueSetup } from '../../engine/dialogue/dialogue.ts';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import { tempDir } from '../cli/helpers.ts';

// A stand-in that depends on the model and the task, so that models and tasks differ; one task's enumeration falls short of full mass.
const calls: { temperature: number; task: string; fingerprint: number }[] = [];
vi.mock('../../engine/sim/expected.ts', () => ({
  expectedMetric: async (_world: unknown, params: SimParams, setup: DialogueSetup, opts: { temperature: number }) => {
    // Weighted by position: a softmax gradient sums to zero over the moves, so a plain sum hardly moves.
    const fingerprint = params.weights.reduce((s, w, i) => s + w * (i + 1), 0) + params.skills.reduce((s, w, i) => s + w * (i + 1), 0);
    calls.push({ temperature: opts.temperature, task: setup.task.id, fingerprint });
    return { metric: (Math.abs(Math.sin(fingerprint * 7 + setup.task.id.length)) * 0.5 + 0.25) as number, mass: setup.task.id.endsWith('5') ? 0.9 : 1 };
  },
}));

const scenario = resolveScenario('hotpotqa').scenario;

function manifest(dpoSeeds: number): RunManifest {
  return {
    dits_version: 'test',
    command: 'run',
    config: {
      scenario,
      seed: 3,
      iterations: 1,
      sftTasks: 6,
      sftSamples: 2,
      searchTasks: 12,
      validationTasks: 3,
      testTasks: 5,
      groupSize: 5,
      selection: { mode: 'mix', alpha: 0.5, gamma: 1 },
      dpoSeeds,
      expectedMetric: { temperature: 0.7 },
      // Batches smaller than the pool, so that the DPO seeds' batch orders differ.
      training: { ...DEFAULT_TRAINING, batchSize: 4 },
    },
    tasks: { task_seed: 3 },
  };
}

describe('the eval stage with the expected metric on', () => {
  it('scores every DPO model and the SFT model on every test task at the temperature, and writes their means', async () => {
    const out = join(tempDir(), 'run');
    mkdirSync(out, { recursive: true });
    const m = manifest(2);
    writeJsonAtomic(join(out, MANIFEST), m);
    const env = await createRunEnv(out, m);
    expect(await runPipeline(env, undefined)).toBe(true);
    const ev = JSON.parse(readFileSync(join(out, 'iter-0', 'eval.json'), 'utf8'));
    // Three models (two DPO seeds, SFT) × five test tasks, all at T = 0.7.
    expect(calls).toHaveLength(3 * 5);
    expect(new Set(calls.map((c) => c.temperature))).toEqual(new Set([0.7]));
    expect(new Set(calls.map((c) => c.fingerprint)).size).toBe(3);
    const perModel = [0, 1, 2].map((k) => calls.slice(k * 5, k * 5 + 5));
    const meanOf = (cs: typeof calls) => cs.reduce((s, c) => s + (Math.abs(Math.sin(c.fingerprint * 7 + c.task.length)) * 0.5 + 0.25), 0) / cs.length;
    expect(ev.expected.perDpoSeed).toEqual(perModel.slice(0, 2).map((cs) => expect.closeTo(meanOf(cs), 12)));
    expect(ev.expected.sft).toBeCloseTo(meanOf(perModel[2]!), 12);
    expect(ev.expected.metric).toBeCloseTo((ev.expected.perDpoSeed[0] + ev.expected.perDpoSeed[1]) / 2, 12);
    expect(ev.expected.temperature).toBe(0.7);
    expect(calls.some((c) => c.task.endsWith('5'))).toBe(true);
    expect(ev.expected.minMass).toBe(0.9);
    // The greedy numbers are there as without it.
    expect(ev.perDpoSeed).toHaveLength(2);
    expect(typeof ev.sft.metric).toBe('number');
  });
});
