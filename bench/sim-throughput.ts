/**
 * Simulated-model throughput: full dialogues on generated tasks (debate and information
 * exchange), several per task as tree-search rollouts would run them, through the engine's dialogue
 * loop (engine/dialogue/dialogue.ts) on the simulated backend, on one core. Prints utterances/s and µs per utterance, median over runs.
 *
 *   node bin/run-ts.mjs bench/sim-throughput.ts [--tasks 200] [--dialogues 8] [--runs 5] [--skill 0]
 *
 * `--skill s` sets every answer skill to s (default 0, the base parameters, where the skill
 * costs nothing); a non-zero value measures the cost of the skilled accuracy in sampling.
 *
 * Each run builds a fresh world, so the per-prompt analysis (question lookup, held facts) is
 * paid inside the timing, once per task and agent, as it is in a real run.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { prepareDialogue, runDialogue } from '../engine/dialogue/dialogue.ts';
import { SimBackend } from '../engine/sim/backend.ts';
import { generateArithmeticTasks, generateIeTasks } from '../engine/sim/generate.ts';
import { SKILL_COUNT } from '../engine/sim/moves.ts';
import { cloneParams, defaultParams } from '../engine/sim/params.ts';
import { createSimWorld } from '../engine/sim/world.ts';
import { resolveScenario } from '../scenarios/scenario-file.ts';
import type { Task } from '../scenarios/task.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '200' },
    dialogues: { type: 'string', default: '8' },
    runs: { type: 'string', default: '5' },
    skill: { type: 'string', default: '0' },
  },
});
const TASKS = Number(values.tasks);
const DIALOGUES = Number(values.dialogues);
const RUNS = Number(values.runs);
const SKILL = Number(values.skill);
const params = cloneParams(defaultParams(), undefined, new Float64Array(SKILL_COUNT).fill(SKILL));
const TARGET = 20_000;


/** One run: a fresh world, every task's prompts, DIALOGUES dialogues per task at T = 0.7. */
async function run(scenarioName: string, tasks: Task[], runIndex: number): Promise<{ utterances: number; ms: number }> {
  const { scenario } = resolveScenario(scenarioName);
  const start = performance.now();
  const backend = new SimBackend(createSimWorld(scenario, tasks), params);
  let utterances = 0;
  for (const task of tasks) {
    const setup = prepareDialogue(scenario, task, runIndex);
    for (let d = 0; d < DIALOGUES; d++) {
      const dialogue = await runDialogue(setup, backend, { seedKey: [runIndex, task.id, d], temperature: 0.7, mode: 'rollout' });
      utterances += dialogue.utterances.length;
    }
  }
  return { utterances, ms: performance.now() - start };
}

// The warm-up runs other tasks, so memos that outlive a world (token pieces, parsed values)
// are only as warm as a long-running process would have them.
const cases: Array<[string, Task[], Task[]]> = [
  ['gsm8k', generateArithmeticTasks(1, TASKS), generateArithmeticTasks(2, TASKS)],
  ['hotpotqa', generateIeTasks(1, TASKS), generateIeTasks(2, TASKS)],
];

console.log(`sim throughput: ${TASKS} tasks x ${DIALOGUES} dialogues, T=0.7, answer skills ${SKILL}, median of ${RUNS} runs (after 1 warm-up)`);
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}, one core used`);
for (const [name, tasks, warmup] of cases) {
  await run(name, warmup, -1);
  const rates: number[] = [];
  const micros: number[] = [];
  let perDialogue = 0;
  for (let r = 0; r < RUNS; r++) {
    const { utterances, ms } = await run(name, tasks, r);
    rates.push(utterances / (ms / 1000));
    micros.push((ms * 1000) / utterances);
    perDialogue = utterances / (tasks.length * DIALOGUES);
  }
  const rate = median(rates);
  console.log(
    `${name.padEnd(9)} ${Math.round(rate).toLocaleString('en-US').padStart(8)} utterances/s  ` +
      `${median(micros).toFixed(1).padStart(6)} µs/utterance  ${perDialogue.toFixed(2)} utterances/dialogue  ` +
      `${rate >= TARGET ? 'ok' : `below target ${TARGET.toLocaleString('en-US')}/s`}`,
  );
}
