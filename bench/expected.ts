/**
 * Cost of the expected test metric by enumeration (engine/sim/expected.ts), per task, on one
 * core: generated two-hop IE tasks (hotpotqa scenario) and arithmetic debate tasks (gsm8k), at
 * T = 0.7, for the base parameters and after one, two and three rounds of SFT on the model's
 * own selected dialogues (best-scoring T = 0.7 dialogues, as Optima's threshold selection).
 * Prints medians over runs; each run builds a fresh world, so the per-world memos (prompt and
 * utterance analysis) are paid inside the timing, as for the first model evaluated on a set.
 *
 *   node bin/run-ts.mjs bench/expected.ts [--tasks 100] [--runs 5] [--prune 1e-6] [--sweep]
 *
 * --sweep adds the trade-off of the pruning threshold (cost against unenumerated mass) for the
 * base parameters; it is what DEFAULT_PRUNE was chosen from.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { prepareDialogue, runDialogue, type Dialogue } from '../engine/dialogue/dialogue.ts';
import type { ChatMessage } from '../engine/base/model-backend.ts';
import { SimBackend } from '../engine/sim/backend.ts';
import { DEFAULT_PRUNE, expectedMetric } from '../engine/sim/expected.ts';
import { generateArithmeticTasks, generateIeTasks } from '../engine/sim/generate.ts';
import { defaultParams, type SimParams } from '../engine/sim/params.ts';
import { sftStep, type SftTarget } from '../engine/sim/train.ts';
import { createSimWorld } from '../engine/sim/world.ts';
import { exactMatch } from '../scenarios/metrics/em.ts';
import { f1Score } from '../scenarios/metrics/f1.ts';
import { resolveScenario } from '../scenarios/scenario-file.ts';
import type { Scenario } from '../scenarios/schema.ts';
import type { Task } from '../scenarios/task.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '100' },
    runs: { type: 'string', default: '5' },
    prune: { type: 'string', default: String(DEFAULT_PRUNE) },
    sweep: { type: 'boolean', default: false },
  },
});
const TASKS = Number(values.tasks);
const RUNS = Number(values.runs);
const PRUNE = Number(values.prune);
const T = 0.7;
const PROMPT_SEED = 7;
const TRAIN_TASKS = 60;

/** Correct − |λ1|·tokens/150, the selection score of the sim's training tests. */
function score(scenario: Scenario, d: Dialogue, task: Task): number {
  const metric = scenario.metric === 'f1' ? f1Score : exactMatch;
  const correct = d.finalAnswer === '' ? 0 : metric(d.finalAnswer, task.answers[0] as string);
  return correct + (scenario.reward.lambdaToken * d.tokenCount) / 150;
}

/** One round of SFT (lr 1, 300 epochs) on the round's own T = 0.7 dialogues that pass the scenario's θ_sft. */
async function sftRound(scenario: Scenario, tasks: Task[], params: SimParams, round: number): Promise<SimParams> {
  const world = createSimWorld(scenario, tasks);
  const backend = new SimBackend(world, params);
  const examples: SftTarget[] = [];
  for (const task of tasks) {
    const setup = prepareDialogue(scenario, task, PROMPT_SEED);
    for (let k = 0; k < 8; k++) {
      const d = await runDialogue(setup, backend, { seedKey: ['sft', round, task.id, k], temperature: T, mode: 'generate' });
      if (score(scenario, d, task) < scenario.reward.sftThreshold) continue;
      const texts = d.utterances.map((u) => u.text);
      d.utterances.forEach((u, i) => {
        const agent = scenario.agents.findIndex((a) => a.name === u.speaker);
        const messages: ChatMessage[] = [{ role: 'system', content: setup.systemPrompts[agent] as string }, ...texts.slice(0, i).map((content) => ({ role: 'assistant' as const, content }))];
        examples.push({ messages, speaker: u.speaker, text: u.text });
      });
    }
  }
  return sftStep(world, params, examples, { lr: 1, epochs: 300 });
}

interface RunResult {
  msPerTask: number[];
  /** Process CPU time of the run / tasks: less inflated than wall time on a shared machine. */
  cpuMsPerTask: number;
  mass: number[];
  nodes: number[];
  metric: number[];
}

async function run(scenario: Scenario, tasks: Task[], params: SimParams, prune: number): Promise<RunResult> {
  const world = createSimWorld(scenario, tasks);
  const r: RunResult = { msPerTask: [], cpuMsPerTask: 0, mass: [], nodes: [], metric: [] };
  const cpu = process.cpuUsage();
  for (const task of tasks) {
    const setup = prepareDialogue(scenario, task, PROMPT_SEED);
    const start = performance.now();
    const e = await expectedMetric(world, params, setup, { temperature: T, prune });
    r.msPerTask.push(performance.now() - start);
    r.mass.push(e.mass);
    r.nodes.push(e.nodes);
    r.metric.push(e.metric);
  }
  const used = process.cpuUsage(cpu);
  r.cpuMsPerTask = (used.user + used.system) / 1000 / tasks.length;
  return r;
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Median over runs of the mean ms/task, the median task's ms, and the (run-independent) mass and size figures. */
function report(label: string, runs: RunResult[]): void {
  const first = runs[0] as RunResult;
  const meanMs = median(runs.map((r) => mean(r.msPerTask)));
  const medianMs = median(runs.map((r) => median(r.msPerTask)));
  const maxMs = median(runs.map((r) => Math.max(...r.msPerTask)));
  const cpuMs = median(runs.map((r) => r.cpuMsPerTask));
  const unenumerated = first.mass.map((m) => 1 - m);
  console.log(
    `${label.padEnd(26)} ${meanMs.toFixed(1).padStart(6)} ms/task mean  ${medianMs.toFixed(1).padStart(6)} median  ${maxMs.toFixed(0).padStart(5)} max  ${cpuMs.toFixed(1).padStart(6)} cpu  ` +
      `${Math.round(mean(first.nodes)).toString().padStart(5)} states  1-mass ${mean(unenumerated).toExponential(1)} mean, ${Math.max(...unenumerated).toExponential(1)} max  ` +
      `metric ${mean(first.metric).toFixed(4)}`,
  );
}

console.log(`expected metric by enumeration: ${TASKS} tasks, T=${T}, prune ${PRUNE}, median of ${RUNS} runs (after 1 warm-up), fresh world per run`);
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}, one core used; load average ${loadavg()[0]?.toFixed(1)} at start`);
console.log('ms/task: wall time, mean over tasks (and the median and slowest task); cpu: process CPU time per task; states: expanded per task');
const families: Array<[string, (seed: number, n: number) => Task[]]> = [
  ['hotpotqa', generateIeTasks],
  ['gsm8k', generateArithmeticTasks],
];
for (const [name, generate] of families) {
  const { scenario } = resolveScenario(name);
  const tasks = generate(41, TASKS);
  const train = generate(42, TRAIN_TASKS);
  const variants: Array<[string, SimParams]> = [['base', defaultParams()]];
  for (let round = 1; round <= 3; round++) variants.push([`sft x${round}`, await sftRound(scenario, train, (variants.at(-1) as [string, SimParams])[1], round)]);
  await run(scenario, generate(43, Math.min(TASKS, 20)), defaultParams(), PRUNE);
  for (const [label, params] of variants) {
    const runs: RunResult[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await run(scenario, tasks, params, PRUNE));
    report(`${name} ${label}`, runs);
  }
  if (values.sweep) {
    for (const prune of [1e-4, 1e-5, 1e-6, 1e-7, 1e-8]) {
      const runs: RunResult[] = [];
      for (let i = 0; i < Math.max(1, Math.min(RUNS, 3)); i++) runs.push(await run(scenario, tasks, defaultParams(), prune));
      report(`${name} base prune ${prune}`, runs);
    }
  }
}
