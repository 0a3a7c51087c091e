/**
 * A tree node while work on it is in flight (design: a node is an actor only then).
 *
 *   created --EXPAND{rollouts}--> rollingOut --last rollout done--> scoring --scored--> settled
 *                                     | a rollout failed               | scoring failed
 *                                     +------------> failed <----------+
 *   any state --an event it does not take--> rejected (throws)
 *
 * Its owner, the search coordinator (actors/search.ts), spawns it, sends it one EXPAND, hears
 * NODE_SETTLED or NODE_FAILED back by `sendParent` (so it must be spawned or invoked by an
 * actor that listens), and stops it. Stopping the node is the only way to cancel it: XState
 * stops its rollouts with it, which aborts their model calls.
 *
 * On EXPAND the node spawns one rollout actor per rollout (actors/dialogue.ts), `rollout-<i>`.
 * A rollout reports by ending: XState sends the node `xstate.done.actor.rollout-<i>` with the
 * dialogue, or `xstate.error.actor.rollout-<i>` with the error.
 *
 * `settled` and `failed` end the lifecycle: they take no further event, and the owner stops the
 * actor. They are not XState final states on purpose: XState drops (with a warning at most) an
 * event sent to a finished actor, while here a late event must be rejected. Every event a state
 * does not accept - EXPAND twice or with a bad count, anything after the end - sends the node to
 * `rejected`, which stops its rollouts and then throws, so the actor's status becomes 'error'
 * with a message naming event and state. Leaving `rollingOut` early (failure, rejection) stops
 * the rollouts still running.
 *
 * The rollout and scoring logic are the actors `rollout` and `score`; tests replace them with
 * `nodeMachine.provide({ actors })` and drive the node with events.
 */
import { assign, enqueueActions, sendParent, setup, type ActorRefFrom, type AnyActorRef, type DoneActorEvent, type ErrorActorEvent } from 'xstate';
import type { Dialogue, DialogueSetup, Utterance } from '../engine/dialogue/dialogue.ts';
import type { ModelBackend } from '../engine/base/model-backend.ts';
import { rolloutKey, type ScoredRollout } from '../engine/search/rollout.ts';
import type { DialogueScorer } from '../engine/dialogue/scoring.ts';
import { rolloutLogic, type DialogueInput } from './dialogue.ts';
import { scoreRollouts, type ScoreInput } from './score-rollouts.ts';

export interface NodeInput {
  /** The node's index in its task's tree. */
  node: number;
  /** Selection index within the task: part of every rollout's randomness key. */
  selection: number;
  seed: number;
  setup: DialogueSetup;
  backend: ModelBackend;
  scorer: DialogueScorer;
  /** Token normalizer M of the search-path reward (§2.1). */
  normalizer: number;
  temperature: number;
  /** The utterances from the root to the node: what every rollout continues. */
  history: readonly Utterance[];
  adapter?: string;
}

export type ExpandEvent = { type: 'EXPAND'; rollouts: number };

/** What a node tells its owner. */
export type NodeSettledEvent = { type: 'NODE_SETTLED'; node: number; rollouts: ScoredRollout[] };
export type NodeFailedEvent = { type: 'NODE_FAILED'; node: number; error: unknown };

/** Sent to itself on entering `rejected`: by the time it arrives, the rollouts are stopped. */
const REJECT = { type: 'node.reject' } as const;
/** Rollout `i` is the child `rollout-<i>`. */
export const ROLLOUT_ID = 'rollout-';

interface NodeContext {
  /** Kept whole rather than spread into the context: every assign copies the context. */
  input: NodeInput;
  /** Finished dialogues by rollout index (EXPAND sizes it). */
  dialogues: (Dialogue | undefined)[];
  /** Rollouts not yet finished. */
  pending: number;
  error: unknown;
  /** Why the node was rejected: the first illegal event and the state it arrived in. */
  rejection: string | null;
}

type AnyNodeEvent = ExpandEvent | typeof REJECT | DoneActorEvent | ErrorActorEvent;

/** The rollout index an `xstate.done.actor.rollout-<i>` event is about. */
const rolloutIndex = (event: { type: string }) => Number(event.type.slice(event.type.lastIndexOf(ROLLOUT_ID) + ROLLOUT_ID.length));
const describeEvent = (event: AnyNodeEvent) => ('rollouts' in event ? `${event.type} (rollouts ${event.rollouts})` : event.type);
const errorOf = ({ event }: { event: AnyNodeEvent }) => (event as ErrorActorEvent).error;

export const nodeMachine = setup({
  types: {} as { context: NodeContext; input: NodeInput; events: AnyNodeEvent },
  actors: { rollout: rolloutLogic, score: scoreRollouts },
  actions: {
    // One assign spawns them all: a spawnChild action per rollout would copy the snapshot each time.
    spawnRollouts: assign(({ context, event, spawn }) => {
      const n = (event as ExpandEvent).rollouts;
      const { setup: s, backend, history, seed, selection, temperature, adapter } = context.input;
      for (let r = 0; r < n; r++) {
        const opts = { seedKey: rolloutKey(seed, s.task.id, selection, r), temperature, mode: 'rollout' as const, history, adapter };
        spawn('rollout', { id: `${ROLLOUT_ID}${r}`, input: { setup: s, backend, opts } satisfies DialogueInput });
      }
      return { pending: n, dialogues: new Array(n).fill(undefined) };
    }),
    // Only the rollouts still running: a finished one has stopped by itself.
    stopRollouts: enqueueActions(({ self, enqueue }) => {
      const children = self.getSnapshot().children as Record<string, AnyActorRef | undefined>;
      for (const id in children) {
        const child = children[id];
        if (child && id.startsWith(ROLLOUT_ID) && child.getSnapshot().status === 'active') enqueue.stopChild(child);
      }
    }),
    recordResult: assign(({ context, event }) => {
      const dialogues = context.dialogues.slice();
      dialogues[rolloutIndex(event)] = (event as DoneActorEvent<Dialogue>).output;
      return { dialogues, pending: context.pending - 1 };
    }),
    recordError: assign((_, error: unknown) => ({ error })),
    // The scored rollouts go to the owner, not into the context: settled is the end.
    announceSettled: sendParent(({ context }, rollouts: ScoredRollout[]) => ({ type: 'NODE_SETTLED', node: context.input.node, rollouts }) satisfies NodeSettledEvent),
    announceFailed: sendParent(({ context }) => ({ type: 'NODE_FAILED', node: context.input.node, error: context.error }) satisfies NodeFailedEvent),
    // During a transition, self.getSnapshot() is still the state the event arrived in.
    recordRejection: assign(({ context, event, self }) => ({
      rejection: context.rejection ?? `node ${context.input.node}: event ${describeEvent(event)} is illegal in state '${String(self.getSnapshot().value)}'`,
    })),
    sendReject: enqueueActions(({ self, enqueue }) => enqueue.sendTo(self, REJECT)),
    throwRejection: ({ context }) => {
      throw new Error(context.rejection ?? `node ${context.input.node}: rejected`);
    },
  },
  guards: {
    validCount: ({ event }) => Number.isInteger((event as ExpandEvent).rollouts) && (event as ExpandEvent).rollouts >= 1,
    lastRollout: ({ context }) => context.pending === 1,
  },
}).createMachine({
  id: 'node',
  context: ({ input }) => ({ input, dialogues: [], pending: 0, error: undefined, rejection: null }),
  initial: 'created',
  on: { '*': { target: '.rejected', actions: 'recordRejection' } },
  states: {
    created: {
      on: { EXPAND: { guard: 'validCount', target: 'rollingOut', actions: 'spawnRollouts' } },
    },
    rollingOut: {
      exit: 'stopRollouts',
      on: {
        'xstate.done.actor.*': [{ guard: 'lastRollout', target: 'scoring', actions: 'recordResult' }, { actions: 'recordResult' }],
        'xstate.error.actor.*': { target: 'failed', actions: { type: 'recordError', params: errorOf } },
      },
    },
    scoring: {
      invoke: {
        src: 'score',
        input: ({ context }): ScoreInput => ({ scorer: context.input.scorer, task: context.input.setup.task, normalizer: context.input.normalizer, dialogues: context.dialogues as Dialogue[] }),
        onDone: { target: 'settled', actions: { type: 'announceSettled', params: ({ event }) => event.output } },
        onError: { target: 'failed', actions: { type: 'recordError', params: errorOf } },
      },
    },
    settled: {},
    failed: { entry: 'announceFailed' },
    rejected: { entry: 'sendReject', on: { '*': { actions: 'throwRejection' } } },
  },
});

export type NodeActorRef = ActorRefFrom<typeof nodeMachine>;
