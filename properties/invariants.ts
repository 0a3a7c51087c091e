/**
 * The search invariants any policy must keep, as fast-check properties: one source of truth for
 * our own test suite (properties/*.test.ts) and for `dits stress`. Each invariant says what it
 * guarantees; a broken one throws a Violation naming what went wrong and the node sequence.
 *
 * Most run the real coordinator (actors/search.ts) on the simulated model with a random task,
 * seed and utterance cap; `legal-node` and `rule` also grow odd trees from scripted rollouts
 * through the same loop steps (engine/search/loop.ts), which is cheap and reaches shapes the
 * simulator seldom makes.
 */
import fc from 'fast-check';
import type { AnyActorRef } from 'xstate';
import type { NodeSettledEvent } from '../actors/node.ts';
import { searchTask, type SearchResult, type SearchTaskOptions } from '../actors/search.ts';
import { capped, isBudgetExhausted, Meter } from '../engine/base/budget.ts';
import { prepareDialogue } from '../engine/dialogue/dialogue.ts';
import { integrateSelection, nextStep, selectionRng, whyNotExpandable, initialLoopState, type LoopTask } from '../engine/search/loop.ts';
import type { PreferenceExample } from '../engine/base/trainer.ts';
import type { SearchPolicy, SelectionContext } from '../engine/search/policy.ts';
import { integrateRollouts, type ScoredRollout } from '../engine/search/rollout.ts';
import { DialogueScorer } from '../engine/dialogue/scoring.ts';
import { keyedSeed } from '../engine/base/rng.ts';
import { treeRecord } from '../engine/tree/codec.ts';
import { NO_NODE, ROOT, TreeStore } from '../engine/tree/store.ts';
import type { ModelBackend } from '../engine/base/model-backend.ts';
import type { Scenario } from '../scenarios/schema.ts';
import type { Task } from '../scenarios/task.ts';
import { scriptedRollouts, simCaseArb, treeCaseArb, type SimCase, type TreeCase } from './arbitraries.ts';
import { budgetShapeProblem, REFERENCE_RULES, type ReferenceRule } from './reference.ts';

/** A broken invariant: what went wrong, and the nodes the policy had selected by then. */
export class Violation extends Error {
  override readonly name = 'Violation';
  constructor(
    message: string,
    readonly nodes: readonly number[] = [],
  ) {
    super(message);
  }
}

/** The policy under test. */
export interface StressTarget {
  policy: SearchPolicy;
  /** A built-in rule to check every choice against (reference.ts), if any. */
  rule?: string;
}

export interface StressScenario {
  name: string;
  scenario: Scenario;
  tasks: readonly Task[];
  backend: ModelBackend;
}

export interface StressEnv {
  scenarios: readonly StressScenario[];
  /** A token budget the Q meter may never pass (the `budget` invariant checks it when given). */
  tokenBudget?: number;
}

export interface Invariant<C> {
  id: string;
  /** What a user may rely on when it holds. */
  guarantees: string;
  arbitrary: (env: StressEnv) => fc.Arbitrary<C>;
  check: (c: C, target: StressTarget, env: StressEnv) => Promise<void>;
  /** The case in words: scenario, task, seed, cap. */
  describe: (c: C, env: StressEnv) => string;
  /** Only for some targets (a rule needs one). */
  applies?: (target: StressTarget) => boolean;
}

const NAMES = ['Alice', 'Bob'];

// -- running a case -----------------------------------------------------------------------

/** The F_g of a probe during a stress search: a fixed function of the pairs' text, so influence-guided policies get varied, reproducible influence. */
function stressProbe(pairs: PreferenceExample[]): Promise<number> {
  const text = pairs.map((p) => `${p.chosen}\u0000${p.rejected}`).join('\u0001');
  return Promise.resolve((keyedSeed('stress-probe', text) >>> 0) / 2 ** 32);
}

interface SelectCall {
  selection: number;
  choice: unknown;
  /** Why the choice cannot be expanded (null: it can). */
  illegal: string | null;
  threw?: unknown;
  /** What the rule would have chosen, when a rule is checked. */
  expected?: number;
}

/** The policy with every select() call logged (and compared with the rule, when given); it behaves exactly as the policy. */
function recording(policy: SearchPolicy, rule: ReferenceRule | undefined, task: LoopTask, calls: SelectCall[]): SearchPolicy {
  return {
    ...policy,
    select(ctx: SelectionContext) {
      // The rule draws from its own copy of the selection's keyed rng.
      const expected = rule?.({ ...ctx, rng: selectionRng(task, ctx.selection) });
      try {
        const choice = policy.select(ctx);
        calls.push({ selection: ctx.selection, choice, illegal: whyNotExpandable(ctx.tree, choice, ctx.maxDepth), ...(expected !== undefined ? { expected } : {}) });
        return choice;
      } catch (threw) {
        calls.push({ selection: ctx.selection, choice: undefined, illegal: null, threw });
        throw threw;
      }
    },
  };
}

function ruleOf(target: StressTarget): ReferenceRule | undefined {
  return target.rule ? REFERENCE_RULES[target.rule]?.(target.policy.params) : undefined;
}

interface SimRun {
  scenario: Scenario;
  task: Task;
  result?: SearchResult;
  error?: unknown;
  calls: SelectCall[];
  meter: Meter;
}

function caseScenario(env: StressEnv, c: SimCase): StressScenario & { capped: Scenario } {
  const s = env.scenarios[c.scenario] as StressScenario;
  return { ...s, capped: { ...s.scenario, turns: { ...s.scenario.turns, maxUtterances: c.cap } } };
}

/** One task's search by the coordinator; a failure is kept, not thrown, for the invariant to judge. */
async function simSearch(env: StressEnv, target: StressTarget, c: SimCase, opts: { tokenBudget?: number; inspect?: SearchTaskOptions['inspect']; calls?: SelectCall[] } = {}): Promise<SimRun> {
  const s = caseScenario(env, c);
  const task = s.tasks[c.task % s.tasks.length] as Task;
  const calls = opts.calls ?? [];
  const meter = new Meter();
  const backend = opts.tokenBudget !== undefined ? capped(s.backend, meter, opts.tokenBudget) : s.backend;
  const input = {
    task,
    setup: prepareDialogue(s.capped, task, c.seed),
    scenario: s.capped,
    backend,
    scorer: new DialogueScorer(s.capped, s.backend),
    policy: recording(target.policy, ruleOf(target), { taskId: task.id, seed: c.seed, agentNames: [], maxDepth: c.cap }, calls),
    seed: c.seed,
    normalizer: 200,
    probe: stressProbe,
  };
  try {
    const result = await searchTask(input, opts.inspect ? { inspect: opts.inspect } : {});
    return { scenario: s.capped, task, result, calls, meter };
  } catch (error) {
    return { scenario: s.capped, task, error, calls, meter };
  }
}

const chosenNodes = (calls: readonly SelectCall[]) => calls.filter((k) => typeof k.choice === 'number').map((k) => k.choice as number);

/** The policy's first illegal or throwing call, as a Violation. */
function faultOf(calls: readonly SelectCall[]): Violation | null {
  const i = calls.findIndex((k) => k.illegal !== null || 'threw' in k);
  if (i < 0) return null;
  const k = calls[i] as SelectCall;
  const before = chosenNodes(calls.slice(0, i));
  if ('threw' in k) {
    const e = k.threw;
    return new Violation(`select() threw at selection ${k.selection}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, before);
  }
  return new Violation(`select() chose ${JSON.stringify(k.choice)} at selection ${k.selection}: ${k.illegal}`, before);
}

/** The run's result, or the Violation its failure is. */
function searched(run: SimRun): SearchResult {
  const fault = faultOf(run.calls);
  if (fault) throw fault;
  if (!run.result) throw new Violation(`the search failed: ${(run.error as Error)?.message ?? String(run.error)}`, chosenNodes(run.calls));
  return run.result;
}

function describeSim(c: SimCase, env: StressEnv): string {
  const s = env.scenarios[c.scenario] as StressScenario;
  return `scenario ${s.name}, task ${(s.tasks[c.task % s.tasks.length] as Task).id}, seed ${c.seed}, utterance cap ${c.cap}`;
}

function describeTree(c: TreeCase): string {
  const selections = c.script.map((s) => `[${s.map((r) => `${r.length} utterances -> ${Number(r.reward.toPrecision(3))}`).join('; ')}]`).join(' ');
  return `scripted tree (rollouts per selection, cycled: ${selections}), utterance cap ${c.maxDepth}, seed ${c.seed}`;
}

/** Grows a scripted tree with the policy through the loop's own steps; the calls are logged. */
function growScripted(c: TreeCase, target: StressTarget): { tree: TreeStore; calls: SelectCall[] } {
  const calls: SelectCall[] = [];
  const task: LoopTask = { taskId: 'scripted', seed: c.seed, agentNames: NAMES, maxDepth: c.maxDepth };
  const policy = recording(target.policy, ruleOf(target), task, calls);
  let state = initialLoopState(new TreeStore());
  for (;;) {
    const step = nextStep(state, policy, task);
    if (step.kind !== 'expand') return { tree: state.tree, calls };
    state = integrateSelection(state, step.node, scriptedRollouts(c, step.selection, step.history, NAMES), task);
  }
}

// -- the invariants -------------------------------------------------------------------------

const legalNode: Invariant<{ kind: 'sim'; sim: SimCase } | { kind: 'tree'; tree: TreeCase }> = {
  id: 'legal-node',
  guarantees: 'every select() call returns a node that exists, did not end a dialogue and is below the utterance cap, and never throws',
  arbitrary: (env) =>
    fc.oneof(
      simCaseArb(env.scenarios.length, minTasks(env)).map((sim) => ({ kind: 'sim' as const, sim })),
      treeCaseArb.map((tree) => ({ kind: 'tree' as const, tree })),
    ),
  check: async (c, target, env) => {
    const calls = c.kind === 'sim' ? (await simSearch(env, target, c.sim)).calls : growScripted(c.tree, target).calls;
    const fault = faultOf(calls);
    if (fault) throw fault;
  },
  describe: (c, env) => (c.kind === 'sim' ? describeSim(c.sim, env) : describeTree(c.tree)),
};

/** A tree that logs each backup's leaf, to check the visits and values against the rollouts. */
export class BackupLog extends TreeStore {
  readonly backups: Array<{ leaf: number; reward: number }> = [];
  override backup(leaf: number, reward: number): void {
    this.backups.push({ leaf, reward });
    super.backup(leaf, reward);
  }
}

export function ancestorsOrSelf(tree: TreeStore, node: number): number[] {
  const out: number[] = [];
  for (let n = node; n !== NO_NODE; n = tree.parent[n] as number) out.push(n);
  return out;
}

const FIELDS = ['parent', 'visits', 'valueSum', 'terminal', 'speaker', 'text'] as const;

/** The replayed tree equals the searched one, and each node's visits and mean value are its rollouts'. */
function checkBackups(result: SearchResult, agents: readonly string[]): void {
  const replay = new BackupLog();
  result.selected.forEach((node, i) => integrateRollouts(replay, node, result.rollouts[i] as ScoredRollout[], agents));
  for (const key of FIELDS) {
    const got = Array.from(result.tree[key] as ArrayLike<unknown>).slice(0, result.tree.size);
    const want = Array.from(replay[key] as ArrayLike<unknown>).slice(0, replay.size);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      throw new Violation(`the tree's ${key} differ from a replay of its rollouts at its selections: something other than the search loop changed the tree`, result.selected);
    }
  }
  const ending = new Map<number, number>();
  for (const b of replay.backups) ending.set(b.leaf, (ending.get(b.leaf) ?? 0) + 1);
  for (let n = 0; n < replay.size; n++) {
    const childVisits = replay.children(n).reduce((s, k) => s + (replay.visits[k] as number), 0);
    if (replay.visits[n] !== childVisits + (ending.get(n) ?? 0)) {
      throw new Violation(`node ${n} has ${replay.visits[n]} visits, but its children have ${childVisits} and ${ending.get(n) ?? 0} rollouts end there`, result.selected);
    }
    const through = replay.backups.filter((b) => ancestorsOrSelf(replay, b.leaf).includes(n)).map((b) => b.reward);
    if (through.length === 0) continue;
    const mean = through.reduce((s, r) => s + r, 0) / through.length;
    const [lo, hi] = [Math.min(...through), Math.max(...through)];
    const v = replay.value(n);
    if (Math.abs(v - mean) > 1e-9 * Math.max(1, Math.abs(mean)) || v < lo - 1e-9 || v > hi + 1e-9) {
      throw new Violation(`node ${n}'s value ${v} is not the mean ${mean} of the ${through.length} rewards backed up through it (range [${lo}, ${hi}])`, result.selected);
    }
  }
}

const backup: Invariant<SimCase> = {
  id: 'backup',
  guarantees: "a node's visits are its children's plus the rollouts that end at it, its value is the mean reward of the rollouts through it, and only the search loop grows the tree",
  arbitrary: (env) => simCaseArb(env.scenarios.length, minTasks(env)),
  check: async (c, target, env) => {
    const run = await simSearch(env, target, c);
    checkBackups(searched(run), run.scenario.agents.map((a) => a.name));
  },
  describe: describeSim,
};

const oneExpansion: Invariant<SimCase> = {
  id: 'one-expansion-at-a-time',
  guarantees: 'a task has at most one node being expanded at any moment, and each expansion settles (its rollouts integrated) before the next starts',
  arbitrary: (env) => simCaseArb(env.scenarios.length, minTasks(env)),
  check: async (c, target, env) => {
    // Node actors are named node-<selection index>; the choice of that selection is the node it expands.
    let inFlight: number | null = null;
    let problem: string | null = null;
    const calls: SelectCall[] = [];
    const run = await simSearch(env, target, c, {
      calls,
      inspect: (ev) => {
        if (problem) return;
        const id = (ev.actorRef as AnyActorRef).id;
        if (ev.type === '@xstate.actor' && id.startsWith('node-')) {
          const selection = Number(id.slice('node-'.length));
          if (inFlight !== null) problem = `selection ${selection} started expanding while selection ${inFlight} was still in flight`;
          inFlight = selection;
        } else if (ev.type === '@xstate.event' && ev.event.type === 'NODE_SETTLED' && !id.startsWith('node-')) {
          const node = (ev.event as unknown as NodeSettledEvent).node;
          if (inFlight === null || calls[inFlight]?.choice !== node) problem = `node ${node} settled, but the expansion in flight was ${inFlight === null ? 'none' : `of node ${String(calls[inFlight]?.choice)}`}`;
          inFlight = null;
        }
      },
    });
    const order = chosenNodes(run.calls);
    if (problem) throw new Violation(problem, order);
    searched(run);
  },
  describe: describeSim,
};

const budget: Invariant<SimCase> = {
  id: 'budget',
  guarantees: 'a task runs exactly selections x rollouts rollouts, every one backed up once; with a token budget, the Q meter never passes it',
  arbitrary: (env) => simCaseArb(env.scenarios.length, minTasks(env)),
  check: async (c, target, env) => {
    const { policy } = target;
    const run = await simSearch(env, target, c, env.tokenBudget !== undefined ? { tokenBudget: env.tokenBudget } : {});
    if (env.tokenBudget !== undefined) {
      if (run.meter.tokens > env.tokenBudget) throw new Violation(`${run.meter.tokens} tokens spent against a budget of ${env.tokenBudget}`, chosenNodes(run.calls));
      if (run.error && isBudgetExhausted(run.error)) return;
    }
    const result = searched(run);
    const expected = policy.selections * policy.rollouts;
    const ran = result.rollouts.reduce((s, r) => s + r.length, 0);
    if (result.selected.length !== policy.selections || ran !== expected) {
      throw new Violation(`${result.selected.length} selections with ${ran} rollouts, but the policy's budget is ${policy.selections} x ${policy.rollouts} = ${expected}`, result.selected);
    }
    const rootVisits = result.tree.visits[ROOT] as number;
    if (rootVisits !== expected) throw new Violation(`the root has ${rootVisits} visits after ${expected} rollouts`, result.selected);
  },
  describe: describeSim,
};

/** Math.random, Date.now and performance.now replaced by a keyed stream while `fn` runs, so a policy that reads them sees other values in a second run. */
async function withPatchedClock<T>(key: number, fn: () => Promise<T>): Promise<T> {
  const saved = { random: Math.random, now: Date.now, perf: performance.now };
  let k = 0;
  Math.random = () => (keyedSeed('stress-random', key, k++) >>> 0) / 2 ** 32;
  Date.now = () => 1_700_000_000_000 + key * 7_919_000 + k++;
  performance.now = () => key * 104_729 + k++;
  try {
    return await fn();
  } finally {
    Math.random = saved.random;
    Date.now = saved.now;
    performance.now = saved.perf;
  }
}

/** Everything a search outputs that must be reproducible: the tree (with influence), the selections, the rollouts. */
function fingerprint(run: SimRun): string {
  if (!run.result) return `failed: ${(run.error as Error)?.message ?? String(run.error)}`;
  const { tree, selected, rollouts } = run.result;
  const record = treeRecord(run.task.id, run.scenario.agents.map((a) => a.name), tree, selected);
  const influence = Array.from(tree.influence.subarray(0, tree.size), (v) => (Number.isNaN(v) ? null : v));
  return JSON.stringify({ record, influence, rollouts: rollouts.map((r) => r.map((x) => x.reward)) });
}

const deterministic: Invariant<SimCase> = {
  id: 'deterministic',
  guarantees: "the same case gives the same tree, selections and rollouts whatever Math.random, Date.now or performance.now return, and whatever other tasks are searched at the same time",
  arbitrary: (env) => simCaseArb(env.scenarios.length, minTasks(env)),
  check: async (c, target, env) => {
    const first = await withPatchedClock(1, () => simSearch(env, target, c));
    searched(first);
    const second = await withPatchedClock(2, () => simSearch(env, target, c));
    if (fingerprint(first) !== fingerprint(second)) {
      throw new Violation('a second run of the same case gave another tree: the policy reads Math.random, the clock, or state left by the first run', first.result?.selected ?? []);
    }
    // The same task again, this time beside two others searched concurrently by the same policy.
    const others = [1, 2].map((d) => ({ ...c, task: c.task + d, seed: c.seed + d }));
    const [crowded] = await Promise.all([simSearch(env, target, c), ...others.map((o) => simSearch(env, target, o))]);
    if (fingerprint(first) !== fingerprint(crowded as SimRun)) {
      throw new Violation('searching other tasks at the same time changed this task\'s tree: the policy keeps state across tasks', first.result?.selected ?? []);
    }
  },
  describe: describeSim,
};

/** Trees where a policy has little to choose from. */
type Degenerate = { shape: 'root-only' | 'terminal-leaves' | 'failed-rollouts'; width: number; seed: number; maxDepth: number };

function degenerateTree(d: Degenerate): TreeStore {
  const tree = new TreeStore();
  if (d.shape === 'root-only') return tree;
  for (let i = 0; i < d.width; i++) {
    // Leaves that ended their dialogue: either a reply (terminal-leaves) or the failure sentinels every rollout of a failing task gives.
    const text = d.shape === 'failed-rollouts' ? (i % 2 === 0 ? 'error' : 'large') : `Alice: answer ${i} <A>${i}</A>`;
    const leaf = tree.addChild(ROOT, { speaker: 0, text, answer: d.shape === 'failed-rollouts' ? '' : String(i), tokens: 5 });
    tree.markTerminal(leaf);
    tree.backup(leaf, d.shape === 'failed-rollouts' ? -2 : (i % 3) / 2 - 0.5);
  }
  return tree;
}

const degenerate: Invariant<Degenerate> = {
  id: 'degenerate-trees',
  guarantees: 'select() returns a legal node, without throwing, on a one-node tree, on a root whose children all ended their dialogue, and on a task whose every rollout failed',
  arbitrary: () =>
    fc.record({
      shape: fc.constantFrom('root-only' as const, 'terminal-leaves' as const, 'failed-rollouts' as const),
      width: fc.integer({ min: 1, max: 6 }),
      seed: fc.nat(10_000),
      maxDepth: fc.integer({ min: 1, max: 10 }),
    }),
  check: async (d, target) => {
    const tree = degenerateTree(d);
    const task: LoopTask = { taskId: 'degenerate', seed: d.seed, agentNames: NAMES, maxDepth: d.maxDepth };
    const count = Math.min(target.policy.selections, 3);
    let selected: number[] = [];
    for (let selection = 0; selection < count; selection++) {
      let choice: unknown;
      try {
        choice = target.policy.select({ tree, selected, selection, maxDepth: d.maxDepth, rng: selectionRng(task, selection) });
      } catch (e) {
        throw new Violation(`select() threw at selection ${selection}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, selected);
      }
      const why = whyNotExpandable(tree, choice, d.maxDepth);
      if (why !== null) throw new Violation(`select() chose ${JSON.stringify(choice)} at selection ${selection}: ${why}`, selected);
      selected = [...selected, choice as number];
    }
  },
  describe: (d) => `${d.shape} tree of ${d.shape === 'root-only' ? 1 : d.width + 1} nodes, utterance cap ${d.maxDepth}, seed ${d.seed}`,
};

const ruleCheck: Invariant<{ kind: 'sim'; sim: SimCase } | { kind: 'tree'; tree: TreeCase }> = {
  id: 'rule',
  guarantees: "every choice is the one the built-in rule's definition gives on the same tree and rng (scores, filter, top-k softmax, width), computed independently in properties/reference.ts",
  applies: (target) => target.rule !== undefined,
  arbitrary: legalNode.arbitrary,
  check: async (c, target, env) => {
    const shape = budgetShapeProblem(target.rule as string, target.policy);
    if (shape) throw new Violation(shape);
    const calls = c.kind === 'sim' ? (await simSearch(env, target, c.sim)).calls : growScripted(c.tree, target).calls;
    const fault = faultOf(calls);
    if (fault) throw fault;
    const i = calls.findIndex((k) => k.expected !== undefined && k.choice !== k.expected);
    if (i >= 0) {
      const k = calls[i] as SelectCall;
      throw new Violation(`at selection ${k.selection} the policy chose node ${String(k.choice)}, the ${target.rule} rule chooses node ${k.expected}`, chosenNodes(calls.slice(0, i)));
    }
  },
  describe: legalNode.describe,
};

function minTasks(env: StressEnv): number {
  return Math.min(...env.scenarios.map((s) => s.tasks.length));
}

export type AnyInvariant = typeof legalNode | typeof backup | typeof degenerate;

/** Every invariant, in the order they are reported. */
export const INVARIANTS: readonly AnyInvariant[] = [legalNode, backup, oneExpansion, budget, deterministic, degenerate, ruleCheck];
