/**
 * Runs one training job through the user's hook: a command template run by the shell, or an
 * HTTP endpoint the job is POSTed to. Either way the hook must leave an adapter in the job's
 * `output` folder; the engine checks that it did.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { request } from 'undici';
import type { TrainingJob } from './training-job.ts';

export type TrainerHook = { kind: 'command'; template: string } | { kind: 'http'; url: string };

/** The placeholders a command template may use. */
export const HOOK_PLACEHOLDERS = ['job', 'data', 'output', 'kind', 'start', 'ref'] as const;

/** Single-quoted for `sh`: safe for any path. */
const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** The command line for a job: each `{name}` replaced by its shell-quoted value. */
export function hookCommand(template: string, jobFile: string, job: TrainingJob): string {
  const values: Record<(typeof HOOK_PLACEHOLDERS)[number], string> = {
    job: jobFile,
    data: job.data,
    output: job.output,
    kind: job.settings.kind,
    start: job.start ?? '',
    ref: job.ref ?? '',
  };
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? shellQuote(values[key as keyof typeof values]) : whole));
}

/** The last lines of the hook's log, for an error message. */
function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return '';
  const all = readFileSync(file, 'utf8').trimEnd().split('\n');
  return all.slice(-lines).map((l) => `    ${l}`).join('\n');
}

async function runCommand(template: string, jobFile: string, job: TrainingJob, logFile: string): Promise<void> {
  const command = hookCommand(template, jobFile, job);
  const log = createWriteStream(logFile);
  await once(log, 'open');
  const child = spawn('sh', ['-c', command], { stdio: ['ignore', log, log] });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  log.close();
  if (code !== 0) {
    const how = signal !== null ? `was killed by ${signal}` : `exited with status ${code}`;
    throw new Error(`trainer hook ${how}: ${command}\n  its output (${logFile}):\n${tail(logFile)}`);
  }
}

async function postJob(url: string, job: TrainingJob): Promise<void> {
  // Training takes as long as it takes: no timeout on the answer.
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(job),
    headersTimeout: 0,
    bodyTimeout: 0,
  }).catch((e: Error) => {
    throw new Error(`trainer hook ${url}: ${e.message}`);
  });
  const body = await res.body.text();
  if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`trainer hook ${url} answered ${res.statusCode}: ${body.slice(0, 500)}`);
}

/** Runs the job and checks that an adapter was written. */
export async function runHook(hook: TrainerHook, jobFile: string, job: TrainingJob, logFile: string): Promise<void> {
  if (hook.kind === 'command') await runCommand(hook.template, jobFile, job, logFile);
  else await postJob(hook.url, job);
  if (!existsSync(job.output) || readdirSync(job.output).length === 0) {
    throw new Error(`trainer hook finished but wrote no adapter to ${job.output} (job ${jobFile})`);
  }
}
