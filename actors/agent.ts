/**
 * The agent: one model call (one turn of one agent) as an actor, so that a dialogue can be
 * stopped mid-turn. Stopping the actor aborts its AbortSignal, which goes to the backend: an HTTP
 * client cancels the request, the in-process simulator has nothing to cancel. A reply that
 * arrives after the stop is dropped by XState.
 */
import { fromPromise } from 'xstate';
import type { Completion, ModelBackend, SampleRequest } from '../engine/model.ts';

export interface AgentInput {
  backend: ModelBackend;
  request: SampleRequest;
}

/** Samples one continuation of `request`; output: the completion. */
export const agentLogic = fromPromise<Completion, AgentInput>(async ({ input, signal }) => {
  const { backend, request } = input;
  const [completion] = await backend.sample(request, { signal });
  if (!completion) throw new Error(`backend ${backend.name} returned no completion for ${request.speaker} (seed ${request.seed})`);
  return completion;
});
