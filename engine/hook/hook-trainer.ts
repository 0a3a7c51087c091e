/**
 * Training through a hook, for models the engine cannot train itself: each SFT, DPO or probe
 * step becomes a training job folder (engine/hook/training-job.ts) that an external command or HTTP
 * endpoint turns into an adapter; the inference server then loads the adapter by name. Job folders
 * are named by a hash of what they train on, so a resumed run finds finished jobs and reuses
 * them, and adapter names (hence cached responses) are the same in every session of a run.
 * Probe adapters are temporary: released (unloaded, files deleted) as soon as their validation
 * dialogues end, also when they fail.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeJsonAtomic } from '../storage/files.ts';
import type { ChatMessage, LogLikelihood, ModelBackend, SampleRequest } from '../base/model-backend.ts';
import type { DpoOptions, PreferenceExample, ProbeStepOptions, SftOptions, SftTarget, Trainer } from '../base/trainer.ts';
import {
  dpoSettings,
  preferenceRow,
  probeSettings,
  sftRow,
  sftSettings,
  jsonl,
  writeTrainingJob,
  type PreferenceRow,
  type SftRow,
  type TrainingJob,
  type TrainingSettings,
} from './training-job.ts';
import { runHook, type TrainerHook } from './run-hook.ts';

/** A model state on the inference server: the base model (no name), or a trained adapter. */
export interface Adapter {
  /** The name requests select it by; null for the base model. */
  name: string | null;
  /** The adapter folder (absolute); null for the base model. */
  path: string | null;
}

export const BASE_ADAPTER: Adapter = { name: null, path: null };

/** What the trainer needs of the backend: sampling plus runtime adapter management. */
export interface AdapterHost extends ModelBackend {
  /** Makes `name` selectable; the backend loads it on an endpoint before the first request there. */
  registerAdapter(name: string, path: string): void;
  /** Unloads `name` wherever it is loaded and forgets it. */
  releaseAdapter(name: string): Promise<void>;
}

export interface HookTrainerOptions {
  host: AdapterHost;
  hook: TrainerHook;
  /** The run folder: jobs live in `<root>/adapters/`. */
  root: string;
  /** Prefix of every adapter name this run loads, so that its leftovers can be found on a server. */
  namePrefix: string;
  /** Lines for the user (a job starting, finishing). */
  log?: (line: string) => void;
}

type JobKind = TrainingSettings['kind'];

export const ADAPTERS_DIR = 'adapters';
const DONE = 'done.json';

/** Job folders of probes are temporary: any found at start-up belong to an interrupted session. */
const isProbeJob = (dir: string) => dir.startsWith('probe-');

export class HookTrainer implements Trainer<Adapter> {
  private readonly dir: string;
  /** Jobs in use by id: identical jobs at once (two probe groups with the same pairs) share one. */
  private readonly live = new Map<string, { adapter: Promise<Adapter>; users: number }>();

  constructor(private readonly opts: HookTrainerOptions) {
    // Absolute: the server loads adapters by path, from its own working directory.
    this.dir = resolve(opts.root, ADAPTERS_DIR);
  }

  sft(start: Adapter, targets: readonly SftTarget[], o: SftOptions): Promise<Adapter> {
    return this.train(start, BASE_ADAPTER, sftSettings(o), targets.map(sftRow));
  }

  /** DPO from `start` with `start` as the frozen reference. */
  dpo(start: Adapter, pairs: readonly PreferenceExample[], o: DpoOptions): Promise<Adapter> {
    if (pairs.length === 0) return Promise.resolve(start);
    return this.train(start, start, dpoSettings(o), pairs.map(preferenceRow));
  }

  probeStep(from: Adapter, ref: Adapter, pairs: readonly PreferenceExample[], o: ProbeStepOptions): Promise<Adapter> {
    return this.train(from, ref, probeSettings(o), pairs.map(preferenceRow));
  }

  backendFor(adapter: Adapter): ModelBackend {
    return withAdapter(this.opts.host, adapter.name ?? undefined);
  }

  async release(adapter: Adapter): Promise<void> {
    if (adapter.name === null || adapter.path === null) return;
    const entry = this.live.get(adapter.name);
    if (entry && --entry.users > 0) return;
    this.live.delete(adapter.name);
    try {
      await this.opts.host.releaseAdapter(adapter.name);
    } finally {
      // The adapter folder sits in its job folder; only probe jobs are ours to delete.
      const job = resolve(adapter.path, '..');
      if (isProbeJob(job.slice(this.dir.length + 1))) rmSync(job, { recursive: true, force: true });
    }
  }

  /** Makes a kept adapter (read back from the run folder) usable again. */
  adopt(adapter: Adapter): Adapter {
    if (adapter.name !== null && adapter.path !== null) this.opts.host.registerAdapter(adapter.name, adapter.path);
    return adapter;
  }

  /**
   * Deletes what an interrupted session left on disk: every probe job, and unfinished jobs of the
   * other kinds (they are retrained from the same inputs). Returns the folders removed.
   */
  removeLeftovers(): string[] {
    if (!existsSync(this.dir)) return [];
    const removed: string[] = [];
    for (const name of readdirSync(this.dir)) {
      const job = join(this.dir, name);
      if (isProbeJob(name) || !existsSync(join(job, DONE))) {
        rmSync(job, { recursive: true, force: true });
        removed.push(job);
      }
    }
    return removed;
  }

  private train(start: Adapter, ref: Adapter, settings: TrainingSettings, rows: readonly (SftRow | PreferenceRow)[]): Promise<Adapter> {
    const data = jsonl(rows);
    const id = jobId(settings.kind, start, ref, settings, data);
    const name = `${this.opts.namePrefix}${settings.kind}-${id}`;
    const entry = this.live.get(name);
    if (entry) {
      entry.users++;
      return entry.adapter;
    }
    const adapter = this.runJob(start, ref, settings, data, rows.length, id, name);
    this.live.set(name, { adapter, users: 1 });
    adapter.catch(() => this.live.delete(name));
    return adapter;
  }

  private async runJob(start: Adapter, ref: Adapter, settings: TrainingSettings, data: string, rowCount: number, id: string, name: string): Promise<Adapter> {
    const jobDir = join(this.dir, `${settings.kind}-${id}`);
    const adapter: Adapter = { name, path: join(jobDir, 'adapter') };
    if (!existsSync(join(jobDir, DONE))) {
      rmSync(jobDir, { recursive: true, force: true });
      const job: TrainingJob = {
        format: 'dits-training-job',
        version: 1,
        data: join(jobDir, 'data.jsonl'),
        start: start.path,
        ref: ref.path,
        settings,
        output: adapter.path as string,
      };
      writeTrainingJob(join(jobDir, 'job.json'), job, data);
      this.opts.log?.(`training: ${settings.kind} job ${id} (${rowCount} rows)`);
      await runHook(this.opts.hook, join(jobDir, 'job.json'), job, join(jobDir, 'hook.log'));
      writeJsonAtomic(join(jobDir, DONE), { adapter: adapter.name });
    }
    return this.adopt(adapter);
  }
}

/** A job's identity: what it trains, from what, on what. */
function jobId(kind: JobKind, start: Adapter, ref: Adapter, settings: TrainingSettings, data: string): string {
  return createHash('sha256')
    .update(JSON.stringify({ kind, start: start.name, ref: ref.name, settings }))
    .update('\n')
    .update(data)
    .digest('hex')
    .slice(0, 16);
}

/** `host`, sampling and scoring with `adapter` (the base model when undefined). */
function withAdapter(host: ModelBackend, adapter: string | undefined): ModelBackend {
  if (adapter === undefined) return host;
  return {
    name: `${host.name}[${adapter}]`,
    sample: (req: SampleRequest, options) => host.sample({ ...req, adapter }, options),
    logLikelihood: (messages: ChatMessage[], text: string): Promise<LogLikelihood> => host.logLikelihood(messages, text, adapter),
    countTokens: (text) => host.countTokens(text),
  };
}
