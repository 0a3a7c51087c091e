/**
 * A tree node while work on it is in flight (design: a node is an actor only then).
 *
 *   created --EXPAND{rollouts}--> rollingOut --all ROLLOUT_DONE--> scoring --> settled
 *                                     |  ROLLOUT_FAILED / crash        |  error
 *                                     +------------> failed <----------+
 *   created | rollingOut | scoring --CANCEL--> cancelled
 *
 * `settled`, `failed` and `cancelled` end the lifecycle: they take no further event, and the
 * owner stops the actor. They are not XState final states on purpose: XState drops (with a
 * warning at most) an event sent to a finished actor, while here a late event must be rejected.
 * Every event a state does not accept - EXPAND twice, a rollout index out of range or already
 * reported, anything after the end - sends the node to `rejected`, which stops its rollouts and
 * then throws, so the actor's status becomes 'error' with a message naming event and state.
 *
 * The rollout and scoring logic are the actors `rollout` and `score`; tests replace them with
 * `nodeMachine.provide({ actors })` and drive the node with events.
 */
import { assign, enqueueActions, fromPromise, setup, type ActorRefFrom, type DoneActorEvent, type ErrorActorEvent } from 'xstate';
import type { Dialogue, DialogueSetup, Utterance } from '../engine/dialogue.ts';
import type { ModelBackend } from '../engine/model.ts';
import { rolloutKey, type ScoredRollout } from '../engine/search/rollout.ts';
import type { DialogueScorer } from '../engine/scoring.ts';
import type { Task } from '../scenarios/task.ts';
import { dialogueMachine, type DialogueInput, type RolloutDoneEvent, type RolloutFailedEvent } from './dialogue.ts';

export interface NodeInput {
  /** The node's index in its task's tree. */
  node: number;
  /** Selection index within the task: part of every rollout's randomness key. */
  iteration: number;
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

export interface ScoreInput {
  scorer: DialogueScorer;
  task: Task;
  normalizer: number;
  dialogues: readonly Dialogue[];
}

export type ExpandEvent = { type: 'EXPAND'; rollouts: number };
export type CancelEvent = { type: 'CANCEL' };
export type NodeEvent = ExpandEvent | CancelEvent | RolloutDoneEvent | RolloutFailedEvent;

/** What a node tells its owner. */
export type NodeSettledEvent = { type: 'NODE_SETTLED'; node: number; rollouts: ScoredRollout[] };
export type NodeFailedEvent = { type: 'NODE_FAILED'; node: number; error: unknown };

/** Sent to itself on entering `rejected`: by the time it arrives, the rollouts are stopped. */
const REJECT = { type: 'node.reject' } as const;
const ROLLOUT_ID = 'rollout-';

/** Scores each dialogue and computes its search-path reward, in rollout order. */
export const scoreRollouts = fromPromise<ScoredRollout[], ScoreInput>(async ({ input }) => {
  const { scorer, task, normalizer } = input;
  return Promise.all(
    input.dialogues.map(async (dialogue) => ({ dialogue, reward: scorer.reward(dialogue, await scorer.score(task, dialogue), normalizer, 'search').total })),
  );
});

interface NodeContext extends NodeInput {
  /** Rollouts asked for by EXPAND (0 before it). */
  expected: number;
  /** Finished dialogues by rollout index. */
  dialogues: (Dialogue | undefined)[];
  /** Rollout indices that reported (done or failed). */
  reported: boolean[];
  pending: number;
  rollouts: ScoredRollout[] | null;
  error: unknown;
  /** Why the node was rejected: the first illegal event and the state it arrived in. */
  rejection: string | null;
}

type AnyNodeEvent = NodeEvent | typeof REJECT | DoneActorEvent | ErrorActorEvent;

/** The rollout index an `xstate.(done|error).actor.rollout-<i>` event is about, or -1. */
function childIndex(event: { type: string }): number {
  const at = event.type.lastIndexOf(ROLLOUT_ID);
  return at < 0 ? -1 : Number(event.type.slice(at + ROLLOUT_ID.length));
}

function describeEvent(event: AnyNodeEvent): string {
  return 'index' in event ? `${event.type} (index ${event.index})` : 'rollouts' in event ? `${event.type} (rollouts ${event.rollouts})` : event.type;
}

function isFresh(context: NodeContext, index: number): boolean {
  return Number.isInteger(index) && index >= 0 && index < context.expected && !context.reported[index];
}

export const nodeMachine = setup({
  types: {} as { context: NodeContext; input: NodeInput; events: AnyNodeEvent },
  actors: { rollout: dialogueMachine, score: scoreRollouts },
  actions: {
    spawnRollouts: enqueueActions(({ context, event, enqueue }) => {
      const n = (event as ExpandEvent).rollouts;
      enqueue.assign({ expected: n, pending: n, dialogues: new Array(n).fill(undefined), reported: new Array(n).fill(false) });
      const { setup: s, backend, history, seed, iteration, temperature, adapter } = context;
      for (let r = 0; r < n; r++) {
        const opts = { seedKey: rolloutKey(seed, s.task.id, iteration, r), temperature, mode: 'rollout' as const, history, adapter };
        enqueue.spawnChild('rollout', { id: `${ROLLOUT_ID}${r}`, input: { setup: s, backend, opts, index: r } satisfies DialogueInput });
      }
    }),
    stopRollouts: enqueueActions(({ context, enqueue }) => {
      for (let r = 0; r < context.expected; r++) enqueue.stopChild(`${ROLLOUT_ID}${r}`);
    }),
    recordResult: assign(({ context, event }) => {
      const { index, dialogue } = event as RolloutDoneEvent;
      const dialogues = context.dialogues.slice();
      const reported = context.reported.slice();
      dialogues[index] = dialogue;
      reported[index] = true;
      return { dialogues, reported, pending: context.pending - 1 };
    }),
    recordFailure: assign(({ context, event }) => {
      const { index, error } = event as RolloutFailedEvent;
      const reported = context.reported.slice();
      reported[index] = true;
      return { reported, error };
    }),
    recordError: assign((_, error: unknown) => ({ error })),
    recordScores: assign((_, rollouts: ScoredRollout[]) => ({ rollouts })),
    announceSettled: enqueueActions(({ context, self, enqueue }) => {
      const rollouts = context.rollouts as ScoredRollout[];
      if (self._parent) enqueue.sendParent({ type: 'NODE_SETTLED', node: context.node, rollouts } satisfies NodeSettledEvent);
    }),
    announceFailed: enqueueActions(({ context, self, enqueue }) => {
      if (self._parent) enqueue.sendParent({ type: 'NODE_FAILED', node: context.node, error: context.error } satisfies NodeFailedEvent);
    }),
    // During a transition, self.getSnapshot() is still the state the event arrived in.
    recordRejection: assign(({ context, event, self }) => ({
      rejection: context.rejection ?? `node ${context.node}: event ${describeEvent(event)} is illegal in state '${String(self.getSnapshot().value)}'`,
    })),
    sendReject: enqueueActions(({ self, enqueue }) => enqueue.sendTo(self, REJECT)),
    throwRejection: ({ context }) => {
      throw new Error(context.rejection ?? `node ${context.node}: rejected`);
    },
  },
  guards: {
    validCount: ({ event }) => Number.isInteger((event as ExpandEvent).rollouts) && (event as ExpandEvent).rollouts >= 1,
    fresh: ({ context, event }) => isFresh(context, (event as RolloutDoneEvent).index),
    freshAndLast: ({ context, event }) => isFresh(context, (event as RolloutDoneEvent).index) && context.pending === 1,
    /** A rollout that ends after reporting (its done or error event follows its report). */
    reportedChild: ({ context, event }) => context.reported[childIndex(event)] === true,
    unreportedChild: ({ context, event }) => isFresh(context, childIndex(event)),
  },
}).createMachine({
  id: 'node',
  context: ({ input }) => ({ ...input, expected: 0, dialogues: [], reported: [], pending: 0, rollouts: null, error: undefined, rejection: null }),
  initial: 'created',
  on: { '*': { target: '.rejected', actions: 'recordRejection' } },
  states: {
    created: {
      on: { EXPAND: { guard: 'validCount', target: 'rollingOut', actions: 'spawnRollouts' }, CANCEL: 'cancelled' },
    },
    rollingOut: {
      exit: 'stopRollouts',
      on: {
        ROLLOUT_DONE: [
          { guard: 'freshAndLast', target: 'scoring', actions: 'recordResult' },
          { guard: 'fresh', actions: 'recordResult' },
        ],
        ROLLOUT_FAILED: { guard: 'fresh', target: 'failed', actions: 'recordFailure' },
        'xstate.done.actor.*': { guard: 'reportedChild' },
        // A rollout that crashed without reporting fails the node like a reported failure.
        'xstate.error.actor.*': { guard: 'unreportedChild', target: 'failed', actions: { type: 'recordError', params: ({ event }: { event: ErrorActorEvent }) => event.error } },
        CANCEL: 'cancelled',
      },
    },
    scoring: {
      invoke: {
        src: 'score',
        input: ({ context }) => ({ scorer: context.scorer, task: context.setup.task, normalizer: context.normalizer, dialogues: context.dialogues as Dialogue[] }),
        onDone: { target: 'settled', actions: { type: 'recordScores', params: ({ event }) => event.output } },
        onError: { target: 'failed', actions: { type: 'recordError', params: ({ event }: { event: ErrorActorEvent }) => event.error } },
      },
      on: { 'xstate.done.actor.*': { guard: 'reportedChild' }, CANCEL: 'cancelled' },
    },
    settled: { entry: 'announceSettled' },
    failed: {
      entry: 'announceFailed',
      on: { 'xstate.done.actor.*': { guard: 'reportedChild' }, 'xstate.error.actor.*': { guard: 'reportedChild' } },
    },
    cancelled: {},
    rejected: { entry: 'sendReject', on: { '*': { actions: 'throwRejection' } } },
  },
});

export type NodeActorRef = ActorRefFrom<typeof nodeMachine>;
