/**
 * The trainer hook's contract: one training job is a folder the engine prepares - `job.json`
 * and `data.jsonl` (TRL's conversational formats) - and an `output` folder the hook fills with
 * an adapter the inference server can load. The same job runs on a real trainer (a TRL/PEFT
 * script, README "Trainer hook") or on the simulated model (`dits sim-train`, serve-sim's
 * `/sim/train`), which is what lets a run over HTTP equal a run in process.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic, writeJsonAtomic } from '../storage/files.ts';
import { InputError } from '../../scenarios/errors.ts';
import type { ChatMessage } from '../base/model-backend.ts';
import type { DpoOptions, PreferenceExample, ProbeStepOptions, SftOptions, SftTarget } from '../base/trainer.ts';

const settings = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sft'), lr: z.number(), epochs: z.number().int().positive() }),
  z.object({
    kind: z.literal('dpo'),
    steps: z.number().int().nonnegative(),
    batchSize: z.number().int().positive(),
    lr: z.number(),
    scheduler: z.enum(['cosine', 'constant']),
    warmupRatio: z.number().min(0).max(1),
    beta: z.number(),
    seed: z.number().int(),
  }),
  z.object({ kind: z.literal('probe'), optimizer: z.enum(['adamw', 'sgd']), lr: z.number(), beta: z.number() }),
]);

export const trainingJobSchema = z.object({
  format: z.literal('dits-training-job'),
  version: z.literal(1),
  /** sft: prompt-completion rows; dpo and probe: prompt-chosen-rejected rows. */
  data: z.string(),
  /** The adapter folder training starts from; null for the base model. */
  start: z.string().nullable(),
  /** DPO's frozen reference adapter; null for the base model (always null for sft). */
  ref: z.string().nullable(),
  settings,
  /** The folder the hook writes the trained adapter to. */
  output: z.string(),
});

export type TrainingJob = z.infer<typeof trainingJobSchema>;
export type TrainingSettings = TrainingJob['settings'];

/** An SFT row: TRL's conversational prompt-completion format, plus the speaking agent. */
export interface SftRow {
  prompt: ChatMessage[];
  completion: [ChatMessage];
  speaker: string;
}

/** A DPO row: TRL's conversational preference format (explicit prompt), plus the speaking agent. */
export interface PreferenceRow {
  prompt: ChatMessage[];
  chosen: [ChatMessage];
  rejected: [ChatMessage];
  speaker: string;
}

export const sftRow = (t: SftTarget): SftRow => ({ prompt: t.messages, completion: [{ role: 'assistant', content: t.text }], speaker: t.speaker });

export const preferenceRow = (p: PreferenceExample): PreferenceRow => ({
  prompt: p.messages,
  chosen: [{ role: 'assistant', content: p.chosen }],
  rejected: [{ role: 'assistant', content: p.rejected }],
  speaker: p.speaker,
});

export const sftSettings = (o: SftOptions): TrainingSettings => ({ kind: 'sft', lr: o.lr, epochs: o.epochs });
export const dpoSettings = (o: DpoOptions): TrainingSettings => ({
  kind: 'dpo',
  steps: o.steps,
  batchSize: o.batchSize,
  lr: o.lr,
  scheduler: o.scheduler,
  warmupRatio: o.warmupRatio,
  beta: o.beta,
  seed: o.seed,
});
export const probeSettings = (o: ProbeStepOptions): TrainingSettings => ({ kind: 'probe', optimizer: o.optimizer, lr: o.lr, beta: o.beta });

/** Rows as the text of `data.jsonl`. */
export const jsonl = (rows: readonly (SftRow | PreferenceRow)[]): string => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

/** Writes `data.jsonl` (the text of jsonl(rows)) and `job.json` into a job folder, both atomically. */
export function writeTrainingJob(jobFile: string, job: TrainingJob, data: string): void {
  writeFileAtomic(job.data, data);
  writeJsonAtomic(jobFile, job);
}

/** A job file, validated; errors name the file and the field. */
export function readTrainingJob(file: string): TrainingJob {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${file}: not a readable JSON training job (${(e as Error).message})`);
  }
  return parseTrainingJob(raw, file);
}

export function parseTrainingJob(raw: unknown, where: string): TrainingJob {
  const r = trainingJobSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(`${where}: ${issue?.path.join('.') || 'job'}: ${issue?.message ?? 'invalid training job'}`);
  }
  return r.data;
}

/** The job's rows as the engine's own types (what the simulated model trains on). */
export function readJobData(job: TrainingJob): { sft: SftTarget[]; pairs: PreferenceExample[] } {
  const lines = readFileSync(job.data, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const rows = lines.map((l, i) => {
    try {
      return JSON.parse(l) as Partial<SftRow & PreferenceRow>;
    } catch {
      throw new InputError(`${job.data}:${i + 1}: not JSON`);
    }
  });
  const content = (m: ChatMessage[] | undefined, where: string) => {
    const c = m?.[0]?.content;
    if (typeof c !== 'string') throw new InputError(`${job.data}:${where}: expected [{role: "assistant", content}]`);
    return c;
  };
  if (job.settings.kind === 'sft') {
    return { sft: rows.map((r, i) => ({ messages: r.prompt ?? [], speaker: r.speaker ?? '', text: content(r.completion, `${i + 1}: completion`) })), pairs: [] };
  }
  return {
    sft: [],
    pairs: rows.map((r, i) => ({ messages: r.prompt ?? [], speaker: r.speaker ?? '', chosen: content(r.chosen, `${i + 1}: chosen`), rejected: content(r.rejected, `${i + 1}: rejected`) })),
  };
}
