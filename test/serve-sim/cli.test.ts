import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultParams, serializeParams } from '../../engine/sim/params.ts';
import { jsonl, sftRow, sftSettings, writeTrainingJob, type TrainingJob } from '../../engine/hook/training-job.ts';
import { SimTrainer } from '../../engine/sim/sim-trainer.ts';
import { cli, REPO, tempDir } from '../cli/helpers.ts';
import { dialogueTurns, ieFixture } from './helpers.ts';

describe('dits serve-sim', () => {
  it('prints its URL once listening, serves, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(REPO, 'bin/dits.mjs'), 'serve-sim', '--scenario', 'hotpotqa', '--generate', '5', '--port', '0', '--model', 'm1'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          stdout += d;
          if (stdout.includes('\n')) resolve(stdout.split('\n')[0] as string);
        });
        void exited.then((code) => reject(new Error(`serve-sim exited (${code}) before listening: ${stderr}`)));
      });
      const m = /^serve-sim: listening on (http:\/\/127\.0\.0\.1:(\d+)) \(model m1, 5 tasks\)$/.exec(line);
      expect(m, line).not.toBeNull();
      const url = m![1] as string;
      expect(Number(m![2])).toBeGreaterThan(0);
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect(((await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] }).data[0]!.id).toBe('m1');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a bad --fail spec with exit code 2', async () => {
    const r = await cli(['serve-sim', '--scenario', 'hotpotqa', '--fail', '429=0.7,500=0.7']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/sum to/);
  });
});

describe('dits sim-train', () => {
  it('runs a job file and writes the adapter the SimTrainer gives in process', async () => {
    const f = ieFixture(6);
    const dir = tempDir('dits-sim-train-');
    try {
      // The CLI builds the same world: hotpotqa with the generator's first 6 tasks of seed 3.
      const targets = [0, 1].flatMap((i) => dialogueTurns(f, i, 3).map((t) => ({ messages: t.messages, speaker: t.speaker, text: t.text })));
      const job: TrainingJob = {
        format: 'dits-training-job',
        version: 1,
        data: join(dir, 'data.jsonl'),
        start: null,
        ref: null,
        settings: sftSettings({ lr: 0.5, epochs: 2 }),
        output: join(dir, 'out'),
      };
      writeTrainingJob(join(dir, 'job.json'), job, jsonl(targets.map(sftRow)));
      const r = await cli(['sim-train', '--scenario', 'hotpotqa', '--generate', '6', '--task-seed', '3', join(dir, 'job.json')]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`wrote ${job.output}\n`);
      const written = JSON.parse(readFileSync(join(job.output, 'params.json'), 'utf8'));
      const direct = serializeParams(await new SimTrainer(f.world).sft(defaultParams(), targets, { lr: 0.5, epochs: 2 }));
      expect(written).toEqual(JSON.parse(JSON.stringify(direct)));

      const missing = await cli(['sim-train', '--scenario', 'hotpotqa', '--quiet', join(dir, 'none.json')]);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toMatch(/none\.json/);
      expect(existsSync(join(dir, 'none'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
