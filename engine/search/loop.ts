/**
 * The search loop of one task (§2.3), as pure steps over its tree: ask the policy for the next
 * node and check it, integrate a selection's rollouts, decide when influence probes are due and
 * record their results. The search actor (actors/search.ts) only sequences these steps around
 * the model calls; the invariants of properties/ drive the same steps with scripted rollouts.
 */
import type { Utterance } from '../dialogue/dialogue.ts';
import { InputError } from '../../scenarios/errors.ts';
import { Rng } from '../base/rng.ts';
import type { TreeStore } from '../tree/store.ts';
import { ROOT } from '../tree/store.ts';
import { applyInfluence, pairKey, unprobedGroups, type ProbedGroup } from './influence-map.ts';
import { candidatePairs, type PairThresholds, type TreePair } from './pairs.ts';
import type { SearchPolicy } from './policy.ts';
import { historyOf, integrateRollouts, type ScoredRollout } from './rollout.ts';

/** Where one task's search stands; the tree is mutated in place, the arrays are replaced. */
export interface LoopState {
  readonly tree: TreeStore;
  /** The node expanded by each selection so far, in order. */
  readonly selected: readonly number[];
  /** Every rollout of each selection, in rollout order. */
  readonly rollouts: readonly (readonly ScoredRollout[])[];
  /** Groups probed so far, in probing order. */
  readonly probed: readonly ProbedGroup[];
}

/** What a task's search is about: fixed for its whole loop. */
export interface LoopTask {
  taskId: string;
  seed: number;
  agentNames: readonly string[];
  /** The utterance cap: a node at this depth cannot be expanded. */
  maxDepth: number;
}

export function initialLoopState(tree: TreeStore): LoopState {
  return { tree, selected: [], rollouts: [], probed: [] };
}

/** The next step the policy asks for: expand a node, or stop; or why its answer cannot be used. */
export type NextStep =
  | { kind: 'done' }
  | { kind: 'expand'; node: number; selection: number; history: Utterance[] }
  | { kind: 'illegal'; selection: number; choice: unknown; reason: string }
  | { kind: 'threw'; selection: number; error: unknown };

/** The randomness a policy gets for selection `selection` of a task. */
export function selectionRng(task: LoopTask, selection: number): Rng {
  return Rng.keyed(task.seed, task.taskId, 'select', selection);
}

/** Why `node` cannot be expanded in `tree`, or null when it can (the root, or a non-terminal node below the cap). */
export function whyNotExpandable(tree: TreeStore, node: unknown, maxDepth: number): string | null {
  if (typeof node !== 'number' || !Number.isInteger(node)) return `it returned ${describeValue(node)}, not a node index`;
  if (node === ROOT) return null;
  if (node < 0 || node >= tree.size) return `node ${node} does not exist (the tree has nodes 0..${tree.size - 1})`;
  if (tree.terminal[node] !== 0) return `node ${node} ended a dialogue (a terminal node has no continuation)`;
  if ((tree.depth[node] as number) >= maxDepth) return `node ${node} is at the utterance cap (depth ${tree.depth[node]} of ${maxDepth})`;
  return null;
}

function describeValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === undefined) return 'undefined';
  try {
    return JSON.stringify(v)?.slice(0, 60) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Step 1 of a selection: the policy's choice, checked; `done` once the policy's selections are spent. */
export function nextStep(state: LoopState, policy: SearchPolicy, task: LoopTask): NextStep {
  const selection = state.selected.length;
  if (selection >= policy.selections) return { kind: 'done' };
  let choice: unknown;
  try {
    choice = policy.select({ tree: state.tree, selected: state.selected, selection, maxDepth: task.maxDepth, rng: selectionRng(task, selection) });
  } catch (error) {
    return { kind: 'threw', selection, error };
  }
  const reason = whyNotExpandable(state.tree, choice, task.maxDepth);
  if (reason !== null) return { kind: 'illegal', selection, choice, reason };
  const node = choice as number;
  return { kind: 'expand', node, selection, history: historyOf(state.tree, node, task.agentNames) };
}

/** Step 2: the selection of `node` is spent; its rollouts, in rollout order, join the tree. */
export function integrateSelection(state: LoopState, node: number, rollouts: readonly ScoredRollout[], task: LoopTask): LoopState {
  integrateRollouts(state.tree, node, rollouts, task.agentNames);
  return { ...state, selected: [...state.selected, node], rollouts: [...state.rollouts, rollouts] };
}

/**
 * Step 3: the groups to probe now: after every `probing.every` selections of a policy that asks
 * for influence, when the run can probe, the candidate pairs no group has probed yet.
 */
export function groupsDue(state: LoopState, policy: SearchPolicy, canProbe: boolean, thresholds: PairThresholds): TreePair[][] {
  const { probing } = policy;
  if (probing === undefined || !canProbe || state.selected.length % probing.every !== 0) return [];
  const probedKeys = new Set(state.probed.flatMap((g) => g.pairs.map(pairKey)));
  return unprobedGroups(candidatePairs(state.tree, thresholds), probedKeys, probing.groupSize);
}

/** Step 4: the probes' metrics, one per group, become the tree's influence. */
export function recordProbes(state: LoopState, groups: readonly TreePair[][], metrics: readonly number[]): LoopState {
  const probed = [...state.probed, ...groups.map((pairs, i) => ({ pairs, metric: metrics[i] as number }))];
  applyInfluence(state.tree, probed);
  return { ...state, probed };
}

/** The one-line account of a policy's unusable answer at a selection (the caller names the task). */
export function describeFault(policy: SearchPolicy, step: Extract<NextStep, { kind: 'illegal' | 'threw' }>): string {
  const where = `policy ${policy.name}, selection ${step.selection}`;
  if (step.kind === 'illegal') return `${where}: select() chose a node that cannot be expanded: ${step.reason}`;
  const e = step.error;
  return `${where}: select() threw ${e instanceof Error ? `${e.name}: ${e.message}` : describeValue(e)}`;
}

/**
 * A policy's answer the search cannot use, or a throw from its select(): the policy's fault, not
 * the engine's, so the command reports it as an input error (its message, exit 2), not a crash.
 */
export class PolicyFault extends InputError {
  override readonly name = 'PolicyFault';
}
