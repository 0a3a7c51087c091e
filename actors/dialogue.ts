/**
 * The rollout actor: one dialogue (`runDialogue`, engine/dialogue/dialogue.ts) as an XState promise
 * actor, so that it can run beside thousands of others and be stopped mid-turn. Its one promise
 * takes the turns - `nextTurn`, the speaker's turn (`agentTurn`, actors/agent.ts), `applyReply` -
 * with the actor's `Stop`, whose AbortSignal goes to the backend: stopping the actor aborts the
 * model call in flight and no further turn starts. Its output is exactly what `runDialogue`
 * returns for the same setup and options; a failed turn makes it end in error.
 *
 * A node (actors/node.ts) spawns one per rollout, from its history, with the id `rollout-<i>`,
 * and learns the outcome from XState's own `xstate.done.actor.rollout-<i>` (output: the
 * Dialogue) or `xstate.error.actor.rollout-<i>` event.
 *
 * Why one promise and not a machine with an agent actor per turn: every actor and every machine
 * event costs microseconds and kilobytes of garbage (snapshots, sets, maps); the machine plus
 * its per-turn actors were the larger part of the search's engine overhead, and bought nothing
 * that the signal does not give.
 */
import type { AnyActorRef, PromiseActorLogic, PromiseSnapshot } from 'xstate';
import { applyReply, cappedDialogue, nextTurn, type Dialogue, type DialogueOptions, type DialogueSetup, type Utterance } from '../engine/dialogue/dialogue.ts';
import type { ModelBackend } from '../engine/base/model-backend.ts';
import { agentTurn } from './agent.ts';

export interface DialogueInput {
  setup: DialogueSetup;
  backend: ModelBackend;
  opts: DialogueOptions;
}

/**
 * How a task actor is stopped: `stopped`, and an AbortSignal aborted on stop. The signal is made
 * only when someone asks for it - a backend that can cancel a request; the in-process model
 * never does, and making an AbortSignal for every rollout and scoring step was about 4% of the
 * actor layer's time. It has the shape of a backend's sample options (`{ signal }`), so it is
 * passed as they are.
 */
export class Stop {
  #controller: AbortController | undefined;
  stopped = false;
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.stopped) this.#controller.abort();
    }
    return this.#controller.signal;
  }
  abort(): void {
    this.stopped = true;
    this.#controller?.abort();
  }
  /** Throws the AbortError of the stop, if stopped. */
  check(): void {
    if (this.stopped) this.signal.throwIfAborted();
  }
}

const RESOLVE = 'xstate.promise.resolve';
const REJECT = 'xstate.promise.reject';
const STOP = 'xstate.stop';
const stops = new WeakMap<AnyActorRef, Stop>();

/**
 * XState's `fromPromise`, step for step (same snapshots, same events, usable wherever promise
 * logic is), except that the promise gets a `Stop` instead of an AbortSignal made up front.
 */
export function fromTask<TOutput, TInput>(run: (args: { input: TInput; self: AnyActorRef; stop: Stop }) => PromiseLike<TOutput>): PromiseActorLogic<TOutput, TInput> {
  type Snapshot = PromiseSnapshot<TOutput, TInput>;
  const logic: PromiseActorLogic<TOutput, TInput> = {
    config: run,
    transition: (state, event, scope) => {
      if (state.status !== 'active') return state;
      switch (event.type) {
        case RESOLVE:
          return { ...state, status: 'done', output: event.data as TOutput, input: undefined };
        case REJECT:
          return { ...state, status: 'error', error: event.data, input: undefined };
        case STOP:
          stops.get(scope.self)?.abort();
          stops.delete(scope.self);
          return { ...state, status: 'stopped', input: undefined };
        default:
          return state;
      }
    },
    start: (state, { self }) => {
      if (state.status !== 'active') return;
      const stop = new Stop();
      stops.set(self, stop);
      Promise.resolve(run({ input: state.input as TInput, self, stop })).then(
        (data) => {
          if (self.getSnapshot().status !== 'active') return;
          stops.delete(self);
          self.send({ type: RESOLVE, data });
        },
        (data) => {
          if (self.getSnapshot().status !== 'active') return;
          stops.delete(self);
          self.send({ type: REJECT, data });
        },
      );
    },
    getInitialSnapshot: (_, input) => ({ status: 'active', output: undefined, error: undefined, input }) as Snapshot,
    getPersistedSnapshot: (snapshot) => snapshot,
    restoreSnapshot: (snapshot) => snapshot as Snapshot,
  };
  return logic;
}

/**
 * The steps of `runDialogue`, every agent turn given `stop` (whose signal goes to the backend).
 * Once stopped, no turn starts and no reply is applied: the promise rejects with an AbortError.
 */
export async function talk({ setup, backend, opts }: DialogueInput, stop: Stop): Promise<Dialogue> {
  let utterances: Utterance[] = [...(opts.history ?? [])];
  for (;;) {
    const turn = nextTurn(setup, utterances, opts);
    if (turn === null) return cappedDialogue(utterances, opts.mode);
    stop.check();
    const completion = await agentTurn(backend, turn.request, stop);
    stop.check();
    const step = applyReply(setup, utterances, turn.request.speaker, completion, (text) => backend.countTokens(text), opts.mode);
    if (step.done) return step.done;
    utterances = step.utterances;
  }
}

/** One dialogue as an actor; output: the Dialogue. */
export const rolloutLogic = fromTask<Dialogue, DialogueInput>(({ input, stop }) => talk(input, stop));
