/**
 * Tree search through the actors (pool -> coordinator -> node -> rollout, each rollout's turns
 * taken by plain agent calls) on the simulated model: N generated tasks with the default optima budget (8 selections x 3 rollouts),
 * one core. Prints medians over runs of rollouts/s, nodes/s, engine overhead per node (wall time
 * minus the model's own time, measured by timing the backend's sample and logLikelihood) and
 * heap bytes per settled node (the trees kept after GC, texts included). The same search as a
 * plain async loop without actors (same trees) is timed too, so the actor layer's own share of
 * the overhead can be told from the core's (scoring, answer parsing, selection, merging).
 *
 *   node bin/run-ts.mjs bench/search.ts [--tasks 200] [--runs 5] [--concurrency 8]
 *
 * Each run builds a fresh world, backend and scorer, so memos start cold as in a real run.
 * Nodes are the tree nodes the rollouts created (root excluded).
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { searchTasks } from '../actors/coordinator-pool.ts';
import type { SearchInput } from '../actors/search.ts';
import { prepareDialogue, runDialogue } from '../engine/dialogue/dialogue.ts';
import type { ChatMessage, ModelBackend, SampleRequest } from '../engine/base/model-backend.ts';
import { optimaPolicy } from '../engine/search/policies/optima.ts';
import { historyOf, integrateRollouts, rolloutKey } from '../engine/search/rollout.ts';
import { Rng } from '../engine/base/rng.ts';
import { DialogueScorer } from '../engine/dialogue/scoring.ts';
import { SimBackend } from '../engine/sim/backend.ts';
import { generateArithmeticTasks, generateIeTasks } from '../engine/sim/generate.ts';
import { createSimWorld } from '../engine/sim/world.ts';
import { TreeStore } from '../engine/tree/store.ts';
import { resolveScenario } from '../scenarios/scenario-file.ts';
import type { Task } from '../scenarios/task.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '200' },
    runs: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '8' },
  },
});
const TASKS = Number(values.tasks);
const RUNS = Number(values.runs);
const CONCURRENCY = Number(values.concurrency);
const TARGETS = { rolloutsPerSecond: 2000, overheadMicros: 50, bytesPerNode: 2048 };
/** A fixed token normalizer: estimating it is not part of the search being measured. */
const NORMALIZER = 300;

// GC on demand without a command-line flag, so the plain `run-ts` invocation measures memory too.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;


/** The simulated model with its own time measured: its calls are synchronous underneath. */
function timed(sim: SimBackend) {
  const clock = { ms: 0 };
  const backend: ModelBackend = {
    name: 'timed-sim',
    async sample(req: SampleRequest) {
      const t = performance.now();
      const out = sim.sampleSync(req);
      clock.ms += performance.now() - t;
      return out;
    },
    async logLikelihood(messages: ChatMessage[], text: string, adapter?: string) {
      const t = performance.now();
      const out = sim.logLikelihoodSync(messages, text, adapter);
      clock.ms += performance.now() - t;
      return out;
    },
    countTokens: (text) => sim.countTokens(text),
  };
  return { backend, clock };
}

interface RunFigures {
  rolloutsPerSecond: number;
  nodesPerSecond: number;
  overheadMicros: number;
  modelShare: number;
  bytesPerNode: number;
  nodesPerTask: number;
}

/** The coordinator's loop as plain async code: selections in turn, each selection's rollouts at once. */
async function plainSearch(input: SearchInput): Promise<{ tree: TreeStore; rollouts: number }> {
  const { task, setup, scenario, backend, scorer, policy, seed, normalizer } = input;
  const names = scenario.agents.map((a) => a.name);
  const tree = new TreeStore();
  const selected: number[] = [];
  for (let selection = 0; selection < policy.selections; selection++) {
    const rng = Rng.keyed(seed, task.id, 'select', selection);
    const node = policy.select({ tree, selected, selection, maxDepth: scenario.turns.maxUtterances, rng });
    selected.push(node);
    const history = historyOf(tree, node, names);
    const rollouts = await Promise.all(
      Array.from({ length: policy.rollouts }, async (_, r) => {
        const opts = { seedKey: rolloutKey(seed, task.id, selection, r), temperature: policy.temperature, mode: 'rollout' as const, history };
        const dialogue = await runDialogue(setup, backend, opts);
        return { dialogue, reward: scorer.reward(dialogue, await scorer.score(task, dialogue), normalizer, 'search').total };
      }),
    );
    integrateRollouts(tree, node, rollouts, names);
  }
  return { tree, rollouts: policy.selections * policy.rollouts };
}

type SearchOptions = Omit<Parameters<typeof searchTasks>[1], 'onResult'>;

/** The actor pool, or the plain loop with as many tasks in flight, over `tasks`; `onTree` in any order. */
async function search(plain: boolean, tasks: Task[], opts: SearchOptions, onTree: (tree: TreeStore, rollouts: number) => void): Promise<void> {
  if (!plain) {
    await searchTasks(tasks, { ...opts, onResult: (r) => onTree(r.tree, r.rollouts.flat().length) });
    return;
  }
  opts.prepare?.(tasks);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < tasks.length; i = next++) {
      const task = tasks[i] as Task;
      const { tree, rollouts } = await plainSearch({ ...opts, task, setup: opts.setupFor(task) });
      onTree(tree, rollouts);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, lane));
}

async function run(scenarioName: string, tasks: Task[], seed: number, plain = false): Promise<RunFigures> {
  const { scenario } = resolveScenario(scenarioName);
  const kept: TreeStore[] = [];
  let rollouts = 0;
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const start = performance.now();
  const world = createSimWorld(scenario, []);
  const { backend, clock } = timed(new SimBackend(world));
  const options: SearchOptions = {
    scenario,
    backend,
    scorer: new DialogueScorer(scenario, backend),
    policy: optimaPolicy(),
    seed,
    normalizer: NORMALIZER,
    concurrency: CONCURRENCY,
    prepare: (batch) => world.addTasks(batch),
    setupFor: (task) => prepareDialogue(scenario, task, seed),
  };
  await search(plain, tasks, options, (tree, n) => {
    kept.push(tree);
    rollouts += n;
  });
  const ms = performance.now() - start;
  const modelMs = clock.ms;
  // Only the trees stay reachable now: world, backend, scorer and their memos are garbage.
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  const nodes = kept.reduce((s, t) => s + t.size - 1, 0);
  return {
    rolloutsPerSecond: rollouts / (ms / 1000),
    nodesPerSecond: nodes / (ms / 1000),
    overheadMicros: ((ms - modelMs) * 1000) / nodes,
    modelShare: modelMs / ms,
    bytesPerNode: (heapAfter - heapBefore) / nodes,
    nodesPerTask: nodes / tasks.length,
  };
}

const cases: Array<[string, Task[], Task[]]> = [
  ['gsm8k', generateArithmeticTasks(1, TASKS), generateArithmeticTasks(2, Math.min(TASKS, 50))],
  ['hotpotqa', generateIeTasks(1, TASKS), generateIeTasks(2, Math.min(TASKS, 50))],
];

const cpu = cpus();
console.log(`search bench: ${TASKS} tasks x optima (8 selections x 3 rollouts), concurrency ${CONCURRENCY}, median of ${RUNS} runs (after 1 warm-up)`);
console.log(`machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), node ${process.version}, one core used`);
for (const [name, tasks, warmup] of cases) {
  await run(name, warmup, 99);
  await run(name, warmup, 99, true);
  const figures: RunFigures[] = [];
  const plain: RunFigures[] = [];
  for (let r = 0; r < RUNS; r++) {
    figures.push(await run(name, tasks, r + 1));
    plain.push(await run(name, tasks, r + 1, true));
  }
  const m = (k: keyof RunFigures) => median(figures.map((f) => f[k]));
  const p = (k: keyof RunFigures) => median(plain.map((f) => f[k]));
  const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  console.log(
    `${name.padEnd(9)} ${Math.round(m('rolloutsPerSecond')).toLocaleString('en-US').padStart(6)} rollouts/s [${verdict(m('rolloutsPerSecond') >= TARGETS.rolloutsPerSecond)}]  ` +
      `${Math.round(m('nodesPerSecond')).toLocaleString('en-US').padStart(6)} nodes/s  ` +
      `${m('overheadMicros').toFixed(1).padStart(5)} µs engine overhead/node [${verdict(m('overheadMicros') <= TARGETS.overheadMicros)}]  ` +
      `${Math.round(m('bytesPerNode')).toLocaleString('en-US').padStart(5)} B/settled node [${verdict(m('bytesPerNode') <= TARGETS.bytesPerNode)}]  ` +
      `(model ${(100 * m('modelShare')).toFixed(0)}% of wall time, ${m('nodesPerTask').toFixed(1)} nodes/task)`,
  );
  console.log(
    `${''.padEnd(9)} plain async loop, no actors: ${Math.round(p('rolloutsPerSecond')).toLocaleString('en-US')} rollouts/s, ` +
      `${p('overheadMicros').toFixed(1)} µs engine overhead/node: the actor layer adds ${(m('overheadMicros') - p('overheadMicros')).toFixed(1)} µs/node`,
  );
}
