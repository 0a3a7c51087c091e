/**
 * The search coordinator: one actor per task that owns the task's tree (only its own actions
 * mutate it) and runs the selections of §2.3 one after another:
 *
 *   selecting --policy's choice--> expanding (one node actor, EXPAND{policy.rollouts})
 *       ^                              | NODE_SETTLED: integrate, stop the node
 *       +-------- integrated <---------+
 *       ^            | probes due (a policy with `probing`, and a probe given)
 *       +-------- probing: F_g of each new group of pairs -> tree.influence
 *   selecting --policy.selections done--> done (output: the tree, selections, every rollout)
 *   a failed node, an unexpandable choice, a throwing policy or an unexpected event --> failing
 *
 * The steps themselves are engine/search/loop.ts's pure functions over the task's LoopState;
 * this machine only sequences them around the model calls. Entering `selecting` takes one
 * action, `advance`: the policy's checked choice (nextStep), and its node actor spawned.
 * (One action rather than several: each action that changes the context copies the snapshot.)
 *
 * `failing` stops the node first (leaving `expanding` stops it) and then throws, so the actor
 * ends in 'error' with a message naming the task, and leaves no rollout running.
 */
import { assign, createActor, enqueueActions, fromPromise, sendTo, setup, stopChild, type ActorRefFrom, type InspectionEvent } from 'xstate';
import type { TreePair } from '../engine/search/pairs.ts';
import { describeFault, groupsDue, PolicyFault, initialLoopState, integrateSelection, nextStep, recordProbes, type LoopState, type LoopTask } from '../engine/search/loop.ts';
import type { PreferenceExample } from '../engine/base/trainer.ts';
import type { DialogueSetup } from '../engine/dialogue/dialogue.ts';
import type { ModelBackend } from '../engine/base/model-backend.ts';
import type { SearchPolicy } from '../engine/search/policy.ts';
import type { ScoredRollout } from '../engine/search/rollout.ts';
import type { DialogueScorer } from '../engine/dialogue/scoring.ts';
import { TreeStore } from '../engine/tree/store.ts';
import type { Scenario } from '../scenarios/schema.ts';
import type { Task } from '../scenarios/task.ts';
import { nodeMachine, type NodeActorRef, type NodeFailedEvent, type NodeInput, type NodeSettledEvent } from './node.ts';
import { probeExamples, searchFailure } from './search-support.ts';

export interface SearchInput {
  task: Task;
  setup: DialogueSetup;
  scenario: Scenario;
  backend: ModelBackend;
  scorer: DialogueScorer;
  policy: SearchPolicy;
  seed: number;
  /** Token normalizer M of the search-path reward (§2.1). */
  normalizer: number;
  /** Sample the rollouts from this adapter instead of the base model. */
  adapter?: string;
  /**
   * F_g of a group of pairs: one probe step and the validation metric (§3.2). Given, a policy
   * that asks for `probing` gets influence during the search; absent, the policy sees none.
   */
  probe?: (pairs: PreferenceExample[]) => Promise<number>;
}

export interface SearchResult {
  task: Task;
  tree: TreeStore;
  /** The node expanded by each selection, in order. */
  selected: number[];
  /** Every rollout of each selection, in rollout order (the SFT builder wants them all). */
  rollouts: ScoredRollout[][];
}

/** Sent to itself on entering `failing`: by the time it arrives, the node is stopped. */
const FAIL = { type: 'search.fail' } as const;
const NODE_ID = 'node-';

interface SearchContext {
  /** Kept whole, not spread: every assign copies the context, and a copy of a few fields is cheaper. */
  input: SearchInput;
  task: LoopTask;
  /** The tree, the selections and rollouts so far, the probed groups (engine/search/loop.ts). */
  loop: LoopState;
  /** The policy's latest choice. */
  choice: number;
  /** The node actor of the current selection, while it is in flight. */
  node: NodeActorRef | null;
  error: Error | null;
  /** Groups waiting for their probes. */
  toProbe: TreePair[][];
}

const failure = (context: SearchContext, what: string, cause?: unknown) => searchFailure(context.input.task.id, what, cause);

export const searchMachine = setup({
  types: {} as {
    context: SearchContext;
    input: SearchInput;
    output: SearchResult;
    events: NodeSettledEvent | NodeFailedEvent | typeof FAIL | { type: `xstate.error.actor.${string}`; error: unknown };
  },
  actors: {
    node: nodeMachine,
    probes: fromPromise<number[], { probe: (pairs: PreferenceExample[]) => Promise<number>; groups: PreferenceExample[][] }>(({ input }) =>
      Promise.all(input.groups.map((g) => input.probe(g))),
    ),
  },
  actions: {
    integrate: assign(({ context, event }) => {
      const settled = event as NodeSettledEvent;
      // The tree is this actor's own; the store is mutated in place, in rollout order.
      const loop = integrateSelection(context.loop, settled.node, settled.rollouts, context.task);
      return { loop, toProbe: groupsDue(loop, context.input.policy, context.input.probe !== undefined, context.input.scenario.reward) };
    }),
    recordProbes: assign(({ context, event }) => ({
      loop: recordProbes(context.loop, context.toProbe, (event as unknown as { output: number[] }).output),
      toProbe: [],
    })),
    recordProbeFailure: assign(({ context, event }) => ({
      error: failure(context, `influence probe after selection ${context.loop.selected.length - 1} failed`, (event as { error?: unknown }).error),
    })),
    advance: assign(({ context, spawn }) => {
      const { policy, seed, setup: s, backend, scorer, normalizer, adapter } = context.input;
      const step = nextStep(context.loop, policy, context.task);
      if (step.kind === 'done') return { node: null };
      if (step.kind !== 'expand') {
        const cause = step.kind === 'threw' ? { cause: step.error } : undefined;
        return { node: null, error: new PolicyFault(`search of task ${context.input.task.id} failed: ${describeFault(policy, step)}`, cause) };
      }
      const input: NodeInput = {
        node: step.node,
        selection: step.selection,
        seed,
        setup: s,
        backend,
        scorer,
        normalizer,
        temperature: policy.temperature,
        history: step.history,
        adapter,
      };
      return { choice: step.node, node: spawn('node', { id: `${NODE_ID}${step.selection}`, input }) };
    }),
    expandNode: sendTo(({ context }) => context.node as NodeActorRef, ({ context }) => ({ type: 'EXPAND', rollouts: context.input.policy.rollouts }) as const),
    stopNode: stopChild(({ context }) => context.node as NodeActorRef),
    recordNodeFailure: assign(({ context, event }) => ({
      error: failure(context, `node ${context.choice} (selection ${context.loop.selected.length}) failed`, (event as NodeFailedEvent).error),
    })),
    recordCrash: assign(({ context, event }) => ({
      error: failure(context, `unexpected event ${event.type}`, 'error' in event ? event.error : undefined),
    })),
    sendFail: enqueueActions(({ self, enqueue }) => enqueue.sendTo(self, FAIL)),
    throwFailure: ({ context }) => {
      throw context.error ?? failure(context, 'unknown');
    },
  },
  guards: {
    failed: ({ context }) => context.error !== null,
    /** `advance` spawned no node: the selections are spent. */
    budgetSpent: ({ context }) => context.node === null,
    probesWaiting: ({ context }) => context.toProbe.length > 0,
  },
}).createMachine({
  id: 'search',
  context: ({ input }) => ({
    input,
    task: { taskId: input.task.id, seed: input.seed, agentNames: input.scenario.agents.map((a) => a.name), maxDepth: input.scenario.turns.maxUtterances },
    loop: initialLoopState(new TreeStore()),
    choice: -1,
    node: null,
    error: null,
    toProbe: [],
  }),
  initial: 'selecting',
  on: { '*': { target: '.failing', actions: 'recordCrash' } },
  states: {
    selecting: {
      entry: 'advance',
      always: [
        { guard: 'failed', target: 'failing' },
        { guard: 'budgetSpent', target: 'done' },
        { target: 'expanding', actions: 'expandNode' },
      ],
    },
    expanding: {
      exit: 'stopNode',
      on: {
        NODE_SETTLED: { target: 'integrated', actions: 'integrate' },
        NODE_FAILED: { target: 'failing', actions: 'recordNodeFailure' },
      },
    },
    integrated: {
      always: [{ guard: 'probesWaiting', target: 'probing' }, { target: 'selecting' }],
    },
    probing: {
      invoke: {
        src: 'probes',
        input: ({ context }) => ({
          probe: context.input.probe as (pairs: PreferenceExample[]) => Promise<number>,
          groups: probeExamples(context.loop.tree, context.toProbe, context.input.task.id, context.task.agentNames, context.input.setup.systemPrompts),
        }),
        onDone: { target: 'selecting', actions: 'recordProbes' },
        onError: { target: 'failing', actions: 'recordProbeFailure' },
      },
    },
    done: { type: 'final' },
    failing: { entry: 'sendFail', on: { '*': { actions: 'throwFailure' } } },
  },
  output: ({ context }) => ({ task: context.input.task, tree: context.loop.tree, selected: [...context.loop.selected], rollouts: context.loop.rollouts.map((r) => [...r]) }),
});

export type SearchActorRef = ActorRefFrom<typeof searchMachine>;

export interface SearchTaskOptions {
  /** Stops the coordinator (and so its node and rollouts); the promise rejects with an AbortError. */
  signal?: AbortSignal;
  /** XState inspection (progress.ts); leave it out unless someone listens: it doubles an event's cost. */
  inspect?: (event: InspectionEvent) => void;
}

/** An AbortError that carries the signal's reason. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return Object.assign(new Error('search aborted', { cause: reason }), { name: 'AbortError' });
}

/** Runs one coordinator to its end: resolves with its result, rejects with its error or on abort. */
export function searchTask(input: SearchInput, options: SearchTaskOptions = {}): Promise<SearchResult> {
  const { signal, inspect } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const actor = createActor(searchMachine, inspect ? { input, inspect } : { input });
    const onAbort = () => actor.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    actor.subscribe({
      error: (err) => {
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      },
      complete: () => {
        signal?.removeEventListener('abort', onAbort);
        const snapshot = actor.getSnapshot();
        if (snapshot.status === 'done') resolve(snapshot.output);
        else reject(signal?.aborted ? abortError(signal) : new Error(`search of task ${input.task.id} was stopped`));
      },
    });
    actor.start();
  });
}
