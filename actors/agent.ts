/**
 * The agent: one turn of one agent - its request sent to the model, one completion back. It is a
 * plain async function, not an actor: the rollout actor (actors/dialogue.ts) calls it turn by
 * turn with the rollout's AbortSignal, which goes to the backend, so stopping the rollout
 * mid-turn makes an HTTP client cancel the request (the in-process simulator has nothing to
 * cancel). Why not an actor: docs/actors.md has the measurement.
 */
import type { Completion, ModelBackend, SampleRequest } from '../engine/base/model-backend.ts';

/** Samples one continuation of `request` for its speaker; resolves with the completion. */
export async function agentTurn(backend: ModelBackend, request: SampleRequest, options: { signal: AbortSignal }): Promise<Completion> {
  const [completion] = await backend.sample(request, options);
  if (!completion) throw new Error(`backend ${backend.name} returned no completion for ${request.speaker} (seed ${request.seed})`);
  return completion;
}
