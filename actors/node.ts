/**
 * A tree node while work on it is in flight (design: a node is an actor only then).
 *
 *   created --EXPAND{rollouts}--> rollingOut --every rollout done--> scoring --> settled
 *                                     |  a rollout failed / crashed    |  error
 *                                     +------------> failed <----------+
 *   created | rollingOut | scoring --CANCEL--> cancelled
 *
 * On EXPAND the node spawns one rollout actor per rollout (actors/dialogue.ts), `rollout-<i>`.
 * A rollout reports by ending: XState sends the node `xstate.done.actor.rollout-<i>` with the
 * dialogue, or `xstate.error.actor.rollout-<i>` with the error. The same reports may also come as
 * the events `ROLLOUT_DONE` / `ROLLOUT_FAILED` `{index}` (from a rollout logic that reports
 * instead of ending, or from a test); either way each index reports once.
 *
 * `settled`, `failed` and `cancelled` end the lifecycle: they take no further event, and the
 * owner stops the actor. They are not XState final states on purpose: XState drops (with a
 * warning at most) an event sent to a finished actor, while here a late event must be rejected.
 * Every event a state does not accept - EXPAND twice, a rollout index out of range or already
 * reported, anything after the end - sends the node to `rejected`, which stops its rollouts and
 * then throws, so the actor's status becomes 'error' with a message naming event and state.
 * Leaving `rollingOut` early (cancel, failure, rejection) stops the rollouts still running,
 * which aborts their model calls.
 *
 * The rollout and scoring logic are the actors `rollout` and `score`; tests replace them with
 * `nodeMachine.provide({ actors })` and drive the node with events.
 */
import { assign, enqueueActions, setup, type ActorRefFrom, type AnyActorRef, type DoneActorEvent, type ErrorActorEvent } from 'xstate';
import type { Dialogue, DialogueSetup, Utterance } from '../engine/dialogue/dialogue.ts';
import type { ModelBackend } from '../engine/base/model-backend.ts';
import { rolloutKey, type ScoredRollout } from '../engine/search/rollout.ts';
import type { DialogueScorer } from '../engine/dialogue/scoring.ts';
import type { Task } from '../scenarios/task.ts';
import { fromTask, rolloutLogic, type DialogueInput } from './dialogue.ts';

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
/** Rollout `index` finished with `dialogue` (the event form of `xstate.done.actor.rollout-<index>`). */
export type RolloutDoneEvent = { type: 'ROLLOUT_DONE'; index: number; dialogue: Dialogue };
/** Rollout `index` failed (the event form of `xstate.error.actor.rollout-<index>`). */
export type RolloutFailedEvent = { type: 'ROLLOUT_FAILED'; index: number; error: unknown };
export type NodeEvent = ExpandEvent | CancelEvent | RolloutDoneEvent | RolloutFailedEvent;

/** What a node tells its owner. */
export type NodeSettledEvent = { type: 'NODE_SETTLED'; node: number; rollouts: ScoredRollout[] };
export type NodeFailedEvent = { type: 'NODE_FAILED'; node: number; error: unknown };

/** Sent to itself on entering `rejected`: by the time it arrives, the rollouts are stopped. */
const REJECT = { type: 'node.reject' } as const;
/** Rollout `i` is the child `rollout-<i>`. */
export const ROLLOUT_ID = 'rollout-';
const SCORE_ID = 'score';

/** Scores each dialogue and computes its search-path reward, in rollout order. */
export const scoreRollouts = fromTask<ScoredRollout[], ScoreInput>(async ({ input }) => {
  const { scorer, task, normalizer } = input;
  return Promise.all(
    input.dialogues.map(async (dialogue) => ({ dialogue, reward: scorer.reward(dialogue, await scorer.score(task, dialogue), normalizer, 'search').total })),
  );
});

interface NodeContext {
  /** Kept whole rather than spread into the context: every assign copies the context. */
  input: NodeInput;
  /** Rollouts asked for by EXPAND (0 before it). */
  expected: number;
  /** Finished dialogues by rollout index. */
  dialogues: (Dialogue | undefined)[];
  /** Rollout indices that reported (done or failed). */
  reported: boolean[];
  pending: number;
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

/** The rollout index of a report in either form. */
function reportIndex(event: AnyNodeEvent): number {
  return 'index' in event ? event.index : childIndex(event);
}

function describeEvent(event: AnyNodeEvent): string {
  return 'index' in event ? `${event.type} (index ${event.index})` : 'rollouts' in event ? `${event.type} (rollouts ${event.rollouts})` : event.type;
}

/** Action params: what a report in either form carries. */
const doneOutput = ({ event }: { event: AnyNodeEvent }) => (event as DoneActorEvent<Dialogue>).output;
const errorOf = ({ event }: { event: AnyNodeEvent }) => (event as ErrorActorEvent).error;
const reportedDialogue = ({ event }: { event: AnyNodeEvent }) => (event as RolloutDoneEvent).dialogue;
const reportedError = ({ event }: { event: AnyNodeEvent }) => (event as RolloutFailedEvent).error;

function isFresh(context: NodeContext, index: number): boolean {
  return Number.isInteger(index) && index >= 0 && index < context.expected && !context.reported[index];
}

export const nodeMachine = setup({
  types: {} as { context: NodeContext; input: NodeInput; events: AnyNodeEvent },
  actors: { rollout: rolloutLogic, score: scoreRollouts },
  actions: {
    // One assign spawns them all: a spawnChild action per rollout would copy the snapshot each time.
    spawnRollouts: assign(({ context, event, spawn }) => {
      const n = (event as ExpandEvent).rollouts;
      const { setup: s, backend, history, seed, iteration, temperature, adapter } = context.input;
      for (let r = 0; r < n; r++) {
        const opts = { seedKey: rolloutKey(seed, s.task.id, iteration, r), temperature, mode: 'rollout' as const, history, adapter };
        spawn('rollout', { id: `${ROLLOUT_ID}${r}`, input: { setup: s, backend, opts } satisfies DialogueInput });
      }
      return { expected: n, pending: n, dialogues: new Array(n).fill(undefined), reported: new Array(n).fill(false) };
    }),
    // Only the rollouts still running: a finished one has stopped by itself.
    stopRollouts: enqueueActions(({ self, enqueue }) => {
      const children = self.getSnapshot().children as Record<string, AnyActorRef | undefined>;
      for (const id in children) {
        const child = children[id];
        if (child && id.startsWith(ROLLOUT_ID) && child.getSnapshot().status === 'active') enqueue.stopChild(child);
      }
    }),
    recordResult: assign(({ context, event }, dialogue: Dialogue) => {
      const index = reportIndex(event);
      const dialogues = context.dialogues.slice();
      const reported = context.reported.slice();
      dialogues[index] = dialogue;
      reported[index] = true;
      return { dialogues, reported, pending: context.pending - 1 };
    }),
    recordFailure: assign(({ context, event }, error: unknown) => {
      const reported = context.reported.slice();
      reported[reportIndex(event)] = true;
      return { reported, error };
    }),
    recordError: assign((_, error: unknown) => ({ error })),
    // The scored rollouts go to the owner, not into the context: settled is the end.
    announceSettled: enqueueActions(({ context, self, enqueue }, rollouts: ScoredRollout[]) => {
      if (self._parent) enqueue.sendParent({ type: 'NODE_SETTLED', node: context.input.node, rollouts } satisfies NodeSettledEvent);
    }),
    announceFailed: enqueueActions(({ context, self, enqueue }) => {
      if (self._parent) enqueue.sendParent({ type: 'NODE_FAILED', node: context.input.node, error: context.error } satisfies NodeFailedEvent);
    }),
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
    fresh: ({ context, event }) => isFresh(context, reportIndex(event)),
    freshAndLast: ({ context, event }) => context.pending === 1 && isFresh(context, reportIndex(event)),
    /** A rollout that ends after reporting by event (its done or error event follows its report). */
    reportedChild: ({ context, event }) => context.reported[childIndex(event)] === true,
  },
}).createMachine({
  id: 'node',
  context: ({ input }) => ({ input, expected: 0, dialogues: [], reported: [], pending: 0, error: undefined, rejection: null }),
  initial: 'created',
  on: { '*': { target: '.rejected', actions: 'recordRejection' } },
  states: {
    created: {
      on: { EXPAND: { guard: 'validCount', target: 'rollingOut', actions: 'spawnRollouts' }, CANCEL: 'cancelled' },
    },
    rollingOut: {
      exit: 'stopRollouts',
      on: {
        'xstate.done.actor.*': [
          { guard: 'freshAndLast', target: 'scoring', actions: { type: 'recordResult', params: doneOutput } },
          { guard: 'fresh', actions: { type: 'recordResult', params: doneOutput } },
          { guard: 'reportedChild' },
        ],
        'xstate.error.actor.*': { guard: 'fresh', target: 'failed', actions: { type: 'recordFailure', params: errorOf } },
        ROLLOUT_DONE: [
          { guard: 'freshAndLast', target: 'scoring', actions: { type: 'recordResult', params: reportedDialogue } },
          { guard: 'fresh', actions: { type: 'recordResult', params: reportedDialogue } },
        ],
        ROLLOUT_FAILED: { guard: 'fresh', target: 'failed', actions: { type: 'recordFailure', params: reportedError } },
        CANCEL: 'cancelled',
      },
    },
    scoring: {
      invoke: {
        id: SCORE_ID,
        src: 'score',
        input: ({ context }) => ({ scorer: context.input.scorer, task: context.input.setup.task, normalizer: context.input.normalizer, dialogues: context.dialogues as Dialogue[] }),
        onDone: { target: 'settled', actions: { type: 'announceSettled', params: ({ event }) => event.output } },
        onError: { target: 'failed', actions: { type: 'recordError', params: errorOf } },
      },
      on: { 'xstate.done.actor.*': { guard: 'reportedChild' }, CANCEL: 'cancelled' },
    },
    settled: {},
    failed: {
      entry: 'announceFailed',
      on: { 'xstate.done.actor.*': { guard: 'reportedChild' }, 'xstate.error.actor.*': { guard: 'reportedChild' } },
    },
    cancelled: {},
    rejected: { entry: 'sendReject', on: { '*': { actions: 'throwRejection' } } },
  },
});

export type NodeActorRef = ActorRefFrom<typeof nodeMachine>;
