/** Set-up of the end-to-end tests over HTTP: serve-sim in the test process, dits in it (cli()) or in a child process. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { generatorFor } from '../../engine/tasks/task-source.ts';
import { startSimServer, type FaultOptions, type SimServer } from '../../serve-sim/server.ts';
import { createSimWorld } from '../../engine/sim/world.ts';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import { folderFiles, REPO, type CliResult } from '../cli/helpers.ts';

/** serve-sim for a built-in scenario, knowing the first `tasks` generated tasks of task seed 0 (the CLI's default). */
export function simServer(scenario: string, tasks: number, faults?: FaultOptions): Promise<SimServer> {
  const s = resolveScenario(scenario).scenario;
  return startSimServer({ world: createSimWorld(s, generatorFor(s).make(0, tasks)), ...(faults ? { faults } : {}) });
}

export interface RunningDits {
  pid: number;
  /** Resolves when the process exits. */
  done: Promise<CliResult>;
  kill(signal: NodeJS.Signals): void;
}

/** `dits` in a child process that does not block the test's event loop (the server answers from it). */
export function ditsAsync(args: string[]): RunningDits {
  const child = spawn(process.execPath, [join(REPO, 'bin/dits.mjs'), ...args], { cwd: REPO });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  return { pid: child.pid as number, done, kill: (signal) => child.kill(signal) };
}

/** What an HTTP run writes beside its results: the manifest (server details), the response cache, usage, and adapters. */
const SERVER_ONLY = /^(manifest\.json|http-cache\.jsonl|usage\.json|adapters\/.*|iter-\d+\/[\w-]+\.adapter\.json)$/;
/** What an in-process run writes beside its results: the manifest, its parameter files and the analyses that need exact gradients. */
const SIM_ONLY = /^(manifest\.json|iter-\d+\/([\w-]+\.params\.json|first-order\.json|pair-stats\.json))$/;

/** A run's report shows what its folder holds, the in-process analyses above included, so it differs where they do. */
const RUN_REPORT = /^report\.html$/;

/** The files both kinds of run produce as results, by relative path (base64 contents). */
export function resultFiles(dir: string, opts: { runReport?: boolean } = {}): Record<string, string> {
  const keep = (path: string) => !SERVER_ONLY.test(path) && !SIM_ONLY.test(path) && (opts.runReport === true || !RUN_REPORT.test(path));
  return Object.fromEntries(Object.entries(folderFiles(dir)).filter(([path]) => keep(path)));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it holds; fails after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not reached within ${ms} ms`);
    await sleep(5);
  }
}
