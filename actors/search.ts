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
 * Entering `selecting` takes one step, `advance`: integrate the settled node's rollouts (in
 * rollout order), ask the policy for the next node, check it can be expanded and spawn its node
 * actor. (One step rather than three: each action that changes the context copies the snapshot.)
 *
 * `failing` stops the node first (leaving `expanding` stops it) and then throws, so the actor
 * ends in 'error' with a message naming the task, and leaves no rollout running.
 */
import { assign, createActor, enqueueActions, fromPromise, sendTo, setup, stopChild, type ActorRefFrom, type InspectionEvent } from 'xstate';
import { applyInfluence, pairKey, unprobedGroups, type ProbedGroup } from '../engine/search/influence-map.ts';
import { candidatePairs, toPreferencePair, type TreePair } from '../engine/search/pairs.ts';
import type { PreferenceExample } from '../engine/trainer.ts';
import type { DialogueSetup } from '../engine/dialogue.ts';
import type { ModelBackend } from '../engine/model.ts';
import { expandable, type SearchPolicy } from '../engine/search/policy.ts';
import { historyOf, integrateRollouts, type ScoredRollout } from '../engine/search/rollout.ts';
import type { DialogueScorer } from '../engine/scoring.ts';
import { Rng } from '../engine/rng.ts';
import { TreeStore } from '../engine/tree/store.ts';
import type { Scenario } from '../scenarios/schema.ts';
import type { Task } from '../scenarios/task.ts';
import { nodeMachine, type NodeActorRef, type NodeFailedEvent, type NodeInput, type NodeSettledEvent } from './node.ts';

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
  tree: TreeStore;
  agentNames: string[];
  /** The utterance cap: a node at this depth cannot be expanded. */
  maxDepth: number;
  selected: number[];
  rollouts: ScoredRollout[][];
  /** The policy's latest choice. */
  choice: number;
  /** The node actor of the current selection, while it is in flight. */
  node: NodeActorRef | null;
  error: Error | null;
  /** Groups probed during this task's search, in probing order. */
  probed: ProbedGroup[];
  /** Groups waiting for their probes. */
  toProbe: TreePair[][];
}

function failure(context: SearchContext, what: string, cause?: unknown): Error {
  const detail = cause instanceof Error ? `: ${cause.message}` : cause === undefined ? '' : `: ${String(cause)}`;
  return new Error(`search of task ${context.input.task.id} failed: ${what}${detail}`, { cause });
}

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
      integrateRollouts(context.tree, settled.node, settled.rollouts, context.agentNames);
      const { probing } = context.input.policy;
      const due = probing !== undefined && context.input.probe !== undefined && context.selected.length % probing.every === 0;
      const probedKeys = new Set(context.probed.flatMap((g) => g.pairs.map(pairKey)));
      const toProbe = due ? unprobedGroups(candidatePairs(context.tree, context.input.scenario.reward), probedKeys, probing.groupSize) : [];
      return { rollouts: [...context.rollouts, settled.rollouts], toProbe };
    }),
    recordProbes: assign(({ context, event }) => {
      const metrics = (event as unknown as { output: number[] }).output;
      const probed = [...context.probed, ...context.toProbe.map((pairs, i) => ({ pairs, metric: metrics[i] as number }))];
      applyInfluence(context.tree, probed);
      return { probed, toProbe: [] };
    }),
    recordProbeFailure: assign(({ context, event }) => ({
      error: failure(context, `influence probe after selection ${context.selected.length - 1} failed`, (event as { error?: unknown }).error),
    })),
    advance: assign(({ context, spawn }) => {
      const { policy, seed, task, setup: s, backend, scorer, normalizer, adapter } = context.input;
      const { tree, maxDepth, rollouts } = context;
      const iteration = context.selected.length;
      if (iteration >= policy.selections) return { rollouts, node: null };
      let choice: number;
      try {
        choice = policy.select({ tree, selected: context.selected, iteration, maxDepth, rng: Rng.keyed(seed, task.id, 'select', iteration) });
      } catch (e) {
        return { rollouts, node: null, error: failure(context, `policy ${policy.name} threw at selection ${iteration}`, e) };
      }
      if (!expandable(tree, choice, maxDepth)) {
        const what =
          `policy ${policy.name} chose node ${choice} at selection ${iteration}, which is not expandable ` +
          `(expandable: the root, or an existing node that ended no rollout, at depth < ${maxDepth})`;
        return { rollouts, node: null, choice, error: failure(context, what) };
      }
      const input: NodeInput = {
        node: choice,
        iteration,
        seed,
        setup: s,
        backend,
        scorer,
        normalizer,
        temperature: policy.temperature,
        history: historyOf(tree, choice, context.agentNames),
        adapter,
      };
      return { rollouts, choice, selected: [...context.selected, choice], node: spawn('node', { id: `${NODE_ID}${iteration}`, input }) };
    }),
    expandNode: sendTo(({ context }) => context.node as NodeActorRef, ({ context }) => ({ type: 'EXPAND', rollouts: context.input.policy.rollouts }) as const),
    stopNode: stopChild(({ context }) => context.node as NodeActorRef),
    recordNodeFailure: assign(({ context, event }) => ({
      error: failure(context, `node ${context.choice} (selection ${context.selected.length - 1}) failed`, (event as NodeFailedEvent).error),
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
    fromCurrentNode: ({ context, event }) => (event as NodeSettledEvent).node === context.choice,
    probesWaiting: ({ context }) => context.toProbe.length > 0,
  },
}).createMachine({
  id: 'search',
  context: ({ input }) => ({
    input,
    tree: new TreeStore(),
    agentNames: input.scenario.agents.map((a) => a.name),
    maxDepth: input.scenario.turns.maxUtterances,
    selected: [],
    rollouts: [],
    choice: -1,
    node: null,
    error: null,
    probed: [],
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
        NODE_SETTLED: { guard: 'fromCurrentNode', target: 'integrated', actions: 'integrate' },
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
          groups: context.toProbe.map((g) =>
            g.map((pair) => {
              const p = toPreferencePair(context.tree, pair, context.input.task.id, context.agentNames, context.input.setup.systemPrompts);
              return { messages: p.prompt, speaker: p.speaker, chosen: p.chosen, rejected: p.rejected };
            }),
          ),
        }),
        onDone: { target: 'selecting', actions: 'recordProbes' },
        onError: { target: 'failing', actions: 'recordProbeFailure' },
      },
    },
    done: { type: 'final' },
    failing: { entry: 'sendFail', on: { '*': { actions: 'throwFailure' } } },
  },
  output: ({ context }) => ({ task: context.input.task, tree: context.tree, selected: context.selected, rollouts: context.rollouts }),
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
