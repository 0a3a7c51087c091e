/**
 * The model backends a command can run on: the simulated model in process (`sim`), or an
 * inference server over the OpenAI protocol (`openai`). The flags are defined once here and
 * shared by `simulate`, `search` and `run`.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError } from '../scenarios/errors.ts';
import type { Scenario } from '../scenarios/schema.ts';
import type { Task } from '../scenarios/task.ts';
import type { ModelBackend } from '../engine/base/model-backend.ts';
import { SimBackend } from '../engine/sim/backend.ts';
import { createSimWorld } from '../engine/sim/world.ts';
import type { EndpointConfig } from '../engine/openai/index.ts';
import { connectServer, scoringHost, type OpenAISettings } from '../engine/openai/server-backend.ts';
import { intOption, secondsOption } from './options.ts';

export const BACKENDS = ['sim', 'openai'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendFlags {
  backend: BackendName;
  endpoint?: string[];
  endpoints?: string;
  model?: string;
  maxInFlight: number;
  requestTimeout: number;
  maxRetries: number;
  downTimeout: number;
  cache: boolean;
  tokenizer: 'server' | 'bundled';
  speakerPrefill: boolean;
  extraBody?: Record<string, unknown>;
  apiKey?: string;
}

export interface BackendHandle {
  backend: ModelBackend;
  /** Called with each batch of tasks before their dialogues start. */
  prepare: (tasks: readonly Task[]) => void;
  /** What the manifest records: the backend, and for a server its model, version and capabilities. */
  describe: () => unknown;
  close: () => Promise<void>;
}

const collect = (value: string, acc: string[] = []) => [...acc, value];

function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`expected a JSON object, got '${value}'`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError('expected a JSON object');
  return parsed as Record<string, unknown>;
}

function choice<T extends string>(names: readonly T[]) {
  return (value: string): T => {
    if (!(names as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${names.join(', ')}`);
    return value as T;
  };
}

export function addBackendOptions(cmd: Command): Command {
  return cmd
    .option('--backend <name>', `model backend: ${BACKENDS.join(', ')} (an inference server speaking the OpenAI protocol)`, choice(BACKENDS), 'sim')
    .option('--endpoint <url>', 'openai: server base URL, e.g. http://127.0.0.1:8000 (repeatable: requests go to the least loaded)', collect)
    .option('--endpoints <file>', 'openai: YAML or JSON list of endpoints, each {url, maxInFlight}')
    .option('--model <id>', 'openai: the base model id (default: the server\'s first model)')
    .option('--max-in-flight <n>', 'openai: requests in flight per endpoint', intOption(1, 65536), 64)
    .option('--request-timeout <s>', 'openai: seconds (fractions allowed, e.g. 0.5) before one attempt of a request is abandoned and retried', secondsOption(), 120)
    .option('--max-retries <n>', 'openai: retries of a failed request (429, 5xx, resets, timeouts) before its task fails', intOption(0, 100), 8)
    .option('--down-timeout <s>', 'openai: seconds to wait while every endpoint is down before the run stops', intOption(1), 300)
    .option('--no-cache', 'openai: do not read or write the response cache in the run folder')
    .option('--tokenizer <where>', 'openai: count tokens with the server (/tokenize) or the bundled Llama-3 tokenizer', choice(['server', 'bundled'] as const), 'server')
    .option('--no-speaker-prefill', "openai: do not prefill the speaker's `Name:` (for servers without continue_final_message)")
    .option('--extra-body <json>', 'openai: extra fields for every request body, e.g. \'{"top_k": 20}\'', jsonObject)
    .option('--api-key <key>', 'openai: bearer token (default: $DITS_API_KEY or $OPENAI_API_KEY)');
}

const endpointsFileSchema = z.array(z.object({ url: z.string().url(), maxInFlight: z.number().int().positive().optional() }));

function readEndpointsFile(file: string, defaultInFlight: number): EndpointConfig[] {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${file}: ${(e as Error).message}`);
  }
  const list = raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'endpoints' in raw ? (raw as { endpoints: unknown }).endpoints : raw;
  const r = endpointsFileSchema.safeParse(list);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(`${file}: endpoints[${issue?.path.join('.')}]: ${issue?.message}`);
  }
  return r.data.map((e) => ({ url: e.url, maxInFlight: e.maxInFlight ?? defaultInFlight }));
}

/** The endpoints the flags name; an error when the openai backend has none. */
export function endpointsFrom(flags: Pick<BackendFlags, 'endpoint' | 'endpoints' | 'maxInFlight'>): EndpointConfig[] {
  const fromFlags = (flags.endpoint ?? []).map((url) => {
    if (!/^https?:\/\/[^/]+/.test(url)) throw new InputError(`--endpoint ${url}: expected a URL such as http://127.0.0.1:8000`);
    return { url: url.replace(/\/+$/, '').replace(/\/v1$/, ''), maxInFlight: flags.maxInFlight };
  });
  const fromFile = flags.endpoints !== undefined ? readEndpointsFile(flags.endpoints, flags.maxInFlight) : [];
  const all = [...fromFlags, ...fromFile];
  if (all.length === 0) throw new InputError('--backend openai needs at least one --endpoint URL (or --endpoints FILE)');
  return all;
}

export function openaiSettings(flags: BackendFlags): OpenAISettings {
  return {
    endpoints: endpointsFrom(flags),
    ...(flags.model !== undefined ? { model: flags.model } : {}),
    tokenizer: flags.tokenizer,
    speakerPrefill: flags.speakerPrefill,
    ...(flags.extraBody !== undefined ? { extraBody: flags.extraBody } : {}),
    requestTimeoutS: flags.requestTimeout,
    maxRetries: flags.maxRetries,
    downTimeoutS: flags.downTimeout,
  };
}

export async function createBackend(flags: BackendFlags, scenario: Scenario, o: { out: string; quiet?: boolean }): Promise<BackendHandle> {
  if (flags.backend === 'sim') {
    // The simulated model looks tasks up by question text: it learns each batch as it streams in.
    const world = createSimWorld(scenario, []);
    return { backend: new SimBackend(world), prepare: (tasks) => world.addTasks(tasks), describe: () => 'sim', close: async () => {} };
  }
  const settings = openaiSettings(flags);
  const backend = await connectServer(settings, scenario, { out: o.out, cache: flags.cache, apiKey: flags.apiKey, ...(o.quiet !== undefined ? { quiet: o.quiet } : {}) });
  return {
    backend: scoringHost(backend, scenario),
    prepare: () => {},
    describe: () => ({ kind: 'openai', settings, server: backend.info, usage: backend.usage() }),
    close: () => backend.close(),
  };
}
