/**
 * The rollout actor: one dialogue (`runDialogue`, engine/dialogue/dialogue.ts) as an XState promise
 * actor, so that it can run beside thousands of others and be stopped mid-turn. Its one promise
 * takes the turns - `nextTurn`, the speaker's turn (`agentTurn`, actors/agent.ts), `applyReply` -
 * with the actor's AbortSignal, which goes to the backend: stopping the actor aborts the model
 * call in flight and no further turn starts. Its output is exactly what `runDialogue` returns for
 * the same setup and options; a failed turn makes it end in error.
 *
 * A node (actors/node.ts) spawns one per rollout, from its history, with the id `rollout-<i>`,
 * and learns the outcome from XState's own `xstate.done.actor.rollout-<i>` (output: the
 * Dialogue) or `xstate.error.actor.rollout-<i>` event.
 *
 * Why one promise and not a machine with an actor per agent: docs/actors.md has the measurement.
 */
import { fromPromise } from 'xstate';
import { applyReply, cappedDialogue, nextTurn, type Dialogue, type DialogueOptions, type DialogueSetup, type Utterance } from '../engine/dialogue/dialogue.ts';
import type { ModelBackend } from '../engine/base/model-backend.ts';
import { agentTurn } from './agent.ts';

export interface DialogueInput {
  setup: DialogueSetup;
  backend: ModelBackend;
  opts: DialogueOptions;
}

/**
 * The steps of `runDialogue`, every agent turn given `signal`. Once it is aborted, no turn starts
 * and no reply is applied: the promise rejects with the AbortError. (XState drops the outcome of
 * a stopped promise actor anyway; the checks keep a backend that ignores the signal from being
 * asked for more turns.)
 */
export async function talk({ setup, backend, opts }: DialogueInput, signal: AbortSignal): Promise<Dialogue> {
  let utterances: Utterance[] = [...(opts.history ?? [])];
  for (;;) {
    const turn = nextTurn(setup, utterances, opts);
    if (turn === null) return cappedDialogue(utterances, opts.mode);
    signal.throwIfAborted();
    const completion = await agentTurn(backend, turn.request, { signal });
    signal.throwIfAborted();
    const step = applyReply(setup, utterances, turn.request.speaker, completion, (text) => backend.countTokens(text), opts.mode);
    if (step.done) return step.done;
    utterances = step.utterances;
  }
}

/** One dialogue as an actor; output: the Dialogue. */
export const rolloutLogic = fromPromise<Dialogue, DialogueInput>(({ input, signal }) => talk(input, signal));
