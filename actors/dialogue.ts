/**
 * The dialogue actor: the steps of `runDialogue` (engine/dialogue.ts) as a machine, one agent
 * actor per turn, so a dialogue can run beside thousands of others and be stopped mid-turn.
 * It produces exactly what `runDialogue` produces for the same setup and options.
 *
 * A rollout is a dialogue actor started from a tree node's history. With a parent it reports
 * `ROLLOUT_DONE` or `ROLLOUT_FAILED` (tagged with its rollout index); either way its output is
 * the Dialogue, and an agent error makes the actor end in error.
 */
import { assign, enqueueActions, setup, type ErrorActorEvent } from 'xstate';
import { applyReply, cappedDialogue, nextTurn, type Dialogue, type DialogueOptions, type DialogueSetup, type Turn, type Utterance } from '../engine/dialogue.ts';
import type { Completion, ModelBackend } from '../engine/model.ts';
import { agentLogic } from './agent.ts';

export interface DialogueInput {
  setup: DialogueSetup;
  backend: ModelBackend;
  opts: DialogueOptions;
  /** Rollout index within its node's expansion; echoed in the events sent to the parent. */
  index: number;
}

export interface RolloutDoneEvent {
  type: 'ROLLOUT_DONE';
  index: number;
  dialogue: Dialogue;
}

export interface RolloutFailedEvent {
  type: 'ROLLOUT_FAILED';
  index: number;
  error: unknown;
}

/** Sent to itself once the failure is reported, so the report leaves before the actor errors. */
const FAIL = { type: 'dialogue.fail' } as const;

interface DialogueContext extends DialogueInput {
  utterances: Utterance[];
  /** The turn to speak next; null once the dialogue is finished or at the cap. */
  turn: Turn | null;
  dialogue: Dialogue | null;
  error: unknown;
}

/**
 * A history already at the cap, ended as `runDialogue` ends it. Its `finished` and `lastAnswer`
 * are not exported, so this repeats them (the equivalence test guards the copy).
 */
export const dialogueMachine = setup({
  types: {} as {
    context: DialogueContext;
    input: DialogueInput;
    output: Dialogue;
    events: typeof FAIL;
  },
  actors: { agent: agentLogic },
  actions: {
    finishAtCap: assign(({ context }) => ({ dialogue: cappedDialogue(context.utterances, context.opts.mode) })),
    // Applying the reply and planning the next turn in one assign: a second one per turn cost ~15% of the actor's time.
    step: assign(({ context }, completion: Completion) => {
      const { setup: s, backend, opts } = context;
      const next = applyReply(s, context.utterances, (context.turn as Turn).request.speaker, completion, (t) => backend.countTokens(t), opts.mode);
      return { utterances: next.utterances, dialogue: next.done, turn: next.done ? null : nextTurn(s, next.utterances, opts) };
    }),
    recordError: assign((_, error: unknown) => ({ error })),
    reportDone: enqueueActions(({ context, self, enqueue }) => {
      if (self._parent) enqueue.sendParent({ type: 'ROLLOUT_DONE', index: context.index, dialogue: context.dialogue } as RolloutDoneEvent);
    }),
    reportFailure: enqueueActions(({ context, self, enqueue }) => {
      if (self._parent) enqueue.sendParent({ type: 'ROLLOUT_FAILED', index: context.index, error: context.error } as RolloutFailedEvent);
      enqueue.sendTo(self, FAIL);
    }),
    throwError: ({ context }) => {
      throw context.error;
    },
  },
  guards: {
    finished: ({ context }) => context.dialogue !== null,
    atCap: ({ context }) => context.turn === null,
  },
}).createMachine({
  id: 'dialogue',
  context: ({ input }) => {
    const utterances = [...(input.opts.history ?? [])];
    return { ...input, utterances, turn: nextTurn(input.setup, utterances, input.opts), dialogue: null, error: undefined };
  },
  initial: 'deciding',
  states: {
    deciding: {
      always: [
        { guard: 'finished', target: 'done' },
        { guard: 'atCap', target: 'done', actions: 'finishAtCap' },
        { target: 'speaking' },
      ],
    },
    speaking: {
      invoke: {
        src: 'agent',
        input: ({ context }) => ({ backend: context.backend, request: (context.turn as Turn).request }),
        onDone: { target: 'deciding', actions: { type: 'step', params: ({ event }) => event.output } },
        onError: { target: 'failed', actions: { type: 'recordError', params: ({ event }: { event: ErrorActorEvent }) => event.error } },
      },
    },
    done: { type: 'final', entry: 'reportDone' },
    failed: { entry: 'reportFailure', on: { [FAIL.type]: { actions: 'throwError' } } },
  },
  output: ({ context }) => context.dialogue as Dialogue,
});
