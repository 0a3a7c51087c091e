/**
 * A run folder's manifest: the settings that decide its outputs, written when the run starts and
 * read by every later session, `dits analyze`, `dits compare` and the report.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainerHook } from '../engine/hook/run-hook.ts';
import type { OpenAISettings } from '../engine/openai/server-backend.ts';
import type { RunConfig } from './run-stages.ts';

/** Where a run's tasks come from. */
export interface RunTaskSource {
  /** A dataset file; generated tasks when absent. */
  file?: string;
  format?: string;
  map?: string;
  /** A file only: skip its first `offset` tasks, read at most `limit`, and report and skip bad rows instead of stopping. */
  offset?: number;
  limit?: number;
  skip_bad_rows?: boolean;
  task_seed: number;
  /**
   * Generated tasks only: draw the V validation tasks from the generator with this seed instead
   * of the first V tasks of `task_seed`. The test, SFT and search tasks then do not depend on V
   * (`dits compare` varies V and keeps every other task fixed). `dits run` never sets it.
   */
  validation_task_seed?: number;
}

/** The model a run uses: the simulated model in process (the default), or an inference server and a trainer hook. */
export type RunBackend =
  | { kind: 'sim' }
  | {
      kind: 'openai';
      settings: OpenAISettings;
      trainer: TrainerHook;
      /** Probes (each with its own adapter loaded) at once. */
      probeConcurrency: number;
      /** Every adapter this run loads is named with it, so that leftovers can be found on a server. */
      adapterPrefix: string;
      /** What the capability probe found at the last start. */
      server?: unknown;
    };

export interface RunManifest {
  dits_version: string;
  command: 'run';
  config: RunConfig;
  tasks: RunTaskSource;
  /** Absent in runs made before servers were supported: sim. */
  backend?: RunBackend;
}

export const MANIFEST = 'manifest.json';
/** Written when the last stage has finished: its presence marks a complete run. */
export const METRICS = 'metrics.json';

export function readManifest(out: string): RunManifest | undefined {
  const file = join(out, MANIFEST);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunManifest) : undefined;
}
