/**
 * Connecting the engine to inference servers: the settings a run keeps in its manifest (those
 * that decide outputs; endpoints may change between sessions), and the checks made at start-up.
 */
import { join } from 'node:path';
import { InputError } from '../../scenarios/errors.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import type { AdapterHost } from '../hook/hook-trainer.ts';
import { connectOpenAI, type EndpointConfig, type OpenAIBackend } from './index.ts';

/** The response cache in a run folder: keyed by request content, so a rerun there replays exactly. */
export const HTTP_CACHE_FILE = 'http-cache.jsonl';

/** The settings of the `openai` backend that decide outputs: kept in a run's manifest. */
export interface OpenAISettings {
  endpoints: EndpointConfig[];
  model?: string;
  tokenizer: 'server' | 'bundled';
  speakerPrefill: boolean;
  extraBody?: Record<string, unknown>;
  requestTimeoutS: number;
  maxRetries: number;
  downTimeoutS: number;
}

/** Connects to the servers; the cache lives in `out` unless `cache` is false. */
export async function connectServer(settings: OpenAISettings, scenario: Scenario, o: { out: string; cache: boolean; apiKey?: string | undefined; quiet?: boolean }): Promise<OpenAIBackend> {
  const apiKey = o.apiKey ?? process.env.DITS_API_KEY ?? process.env.OPENAI_API_KEY;
  const backend = await connectOpenAI({
    endpoints: settings.endpoints,
    ...(settings.model !== undefined ? { model: settings.model } : {}),
    ...(apiKey ? { apiKey } : {}),
    requestTimeoutMs: settings.requestTimeoutS * 1000,
    maxRetries: settings.maxRetries,
    downTimeoutMs: settings.downTimeoutS * 1000,
    ...(o.cache ? { cacheFile: join(o.out, HTTP_CACHE_FILE) } : {}),
    tokenizer: settings.tokenizer,
    speakerPrefill: settings.speakerPrefill,
    ...(settings.extraBody ? { extraBody: settings.extraBody } : {}),
    // Endpoint notices are warnings: shown also with --quiet, which silences stdout.
    log: (line: string) => process.stderr.write(`dits: ${line}\n`),
  });
  if (!backend.info.capabilities.echoLogprobs && scenario.reward.lambdaLoss !== 0) {
    await backend.close();
    throw new InputError(
      `${backend.name} cannot score a given text (no echo / prompt log-probabilities), which the reward's readability term needs (reward.lambdaLoss = ${scenario.reward.lambdaLoss} in scenario ${scenario.name}). ` +
        'Point --endpoint at a server that can (vLLM, SGLang, TGI), or set reward.lambdaLoss: 0 in a copy of the scenario.',
    );
  }
  return backend;
}

/**
 * The server as the engine uses it. A server without log-probabilities passed connectServer only
 * because the scenario's reward gives readability no weight: its term is 0 x anything, so its
 * log-likelihoods are 0 rather than an error.
 */
export function scoringHost(backend: OpenAIBackend, scenario: Scenario): AdapterHost {
  if (backend.info.capabilities.echoLogprobs || scenario.reward.lambdaLoss !== 0) return backend;
  return {
    name: backend.name,
    sample: (req, options) => backend.sample(req, options),
    logLikelihood: async (_messages, text) => ({ logprob: 0, tokens: backend.countTokens(text) }),
    countTokens: (text) => backend.countTokens(text),
    registerAdapter: (name, path) => backend.registerAdapter(name, path),
    releaseAdapter: (name) => backend.releaseAdapter(name),
  };
}

