/**
 * The search-policy interface. A policy is a pure object: given a task's tree and what it has
 * selected so far, it names the next node to expand. The search loop (engine/search/loop.ts and
 * the actors that drive it) does the rest: rollouts from that node, merging, backing up.
 */
import { InputError } from '../../scenarios/errors.ts';
import type { Rng } from '../base/rng.ts';
import { NO_NODE, ROOT, type TreeStore } from '../tree/store.ts';

export interface SelectionContext {
  tree: TreeStore;
  /** Nodes selected earlier in this task, in order. */
  selected: readonly number[];
  /** 0-based index of this selection within the task. */
  selection: number;
  /** The utterance cap: a node at this depth cannot be continued. */
  maxDepth: number;
  /** Keyed by (run seed, task id, selection index): the only randomness a policy may use. */
  rng: Rng;
}

export type PolicyParams = Record<string, number | string | boolean>;

/** The range of each built-in parameter name a value must fall in (`integer`: a whole number). */
const PARAM_RANGES: Record<string, { min: number; max?: number; integer?: boolean }> = {
  selections: { min: 1, integer: true },
  rollouts: { min: 1, integer: true },
  n: { min: 1, integer: true },
  topK: { min: 1, integer: true },
  probeEvery: { min: 1, integer: true },
  groupSize: { min: 1, integer: true },
  temperature: { min: 0 },
  filter: { min: 0, max: 1 },
  c: { min: 0 },
  gamma: { min: 0 },
};

function rangeProblem(key: string, value: number): string | null {
  const r = PARAM_RANGES[key];
  if (!r) return null;
  const within = value >= r.min && (r.max === undefined || value <= r.max) && (!r.integer || Number.isInteger(value));
  if (within) return null;
  return `${r.integer ? 'a whole number' : 'a number'} ${r.max === undefined ? `>= ${r.min}` : `in [${r.min}, ${r.max}]`}`;
}

/** The defaults with the overrides applied; an unknown name, a value of the wrong type or out of its range is an input error. */
export function resolveParams<T extends PolicyParams>(policy: string, defaults: T, overrides: Partial<PolicyParams>): T {
  const out: PolicyParams = { ...defaults };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!(key in defaults)) throw new InputError(`policy ${policy} has no parameter '${key}' (it has: ${Object.keys(defaults).join(', ')})`);
    if (typeof value !== typeof defaults[key]) throw new InputError(`policy ${policy}: parameter '${key}' must be a ${typeof defaults[key]}, got ${JSON.stringify(value)}`);
    const problem = typeof value === 'number' ? rangeProblem(key, value) : null;
    if (problem) throw new InputError(`policy ${policy}: parameter '${key}' must be ${problem}, got ${value}`);
    out[key] = value;
  }
  return out as T;
}

export interface SearchPolicy {
  readonly name: string;
  /** Every parameter with its value, for the run manifest. */
  readonly params: PolicyParams;
  /** Selections per task (Optima's explore_time). */
  readonly selections: number;
  /** Rollouts per selection (Optima's expand_time). */
  readonly rollouts: number;
  /** Sampling temperature of the rollouts. */
  readonly temperature: number;
  /** The node to expand next; it must be `expandable`. */
  select(ctx: SelectionContext): number;
  /**
   * Influence during the search (the dits policy): after every `every` selections, the task's
   * candidate pairs not yet probed are probed in groups of `groupSize`, when the run provides a
   * probe; their normalised influence lands in `tree.influence` for the policy to read.
   */
  readonly probing?: { every: number; groupSize: number };
}

/** A node a rollout can continue from: the root, or a node that did not end a dialogue and is below the cap. */
export function expandable(tree: TreeStore, node: number, maxDepth: number): boolean {
  if (node === ROOT) return true;
  return node > ROOT && node < tree.size && tree.terminal[node] === 0 && (tree.depth[node] as number) < maxDepth;
}

/** All expandable nodes, in index order. */
export function expandableNodes(tree: TreeStore, maxDepth: number): number[] {
  const out: number[] = [];
  for (let n = 0; n < tree.size; n++) if (expandable(tree, n, maxDepth)) out.push(n);
  return out;
}

/** Expandable nodes not selected before (the root may be expanded again), in index order. */
export function unselectedExpandable(tree: TreeStore, selected: readonly number[], maxDepth: number): number[] {
  const taken = new Set(selected);
  return expandableNodes(tree, maxDepth).filter((n) => n === ROOT || !taken.has(n));
}

/** The node with the highest score; ties go to the lowest index, so the choice is deterministic. */
export function argmaxBy(nodes: readonly number[], score: (n: number) => number): number {
  let best = nodes[0] ?? ROOT;
  let bestScore = -Infinity;
  for (const n of nodes) {
    const s = score(n);
    if (s > bestScore) {
      best = n;
      bestScore = s;
    }
  }
  return best;
}

/** Softmax over raw values (§2.3 step 3), sampled with the context's rng. */
export function sampleSoftmax(values: readonly number[], rng: Rng, temperature = 1): number {
  const max = Math.max(...values);
  return rng.weighted(values.map((v) => Math.exp((v - max) / temperature)));
}

export { NO_NODE, ROOT };
