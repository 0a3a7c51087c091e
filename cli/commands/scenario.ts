/** `dits scenario list|validate|show`: browse, check and preview scenarios. */
import type { Command } from 'commander';
import { listBuiltinScenarios, loadScenarioFile, resolveScenario, type ScenarioSource } from '../../scenarios/scenario-file.ts';
import { renderSystemPrompts } from '../../scenarios/prompt.ts';
import { splitContext } from '../../scenarios/split.ts';
import { formatIssue, InputError } from '../../scenarios/errors.ts';
import { scenarioWarnings } from '../../scenarios/lint.ts';
import type { Task } from '../../scenarios/task.ts';
import { Rng } from '../../engine/base/rng.ts';
import { intOption } from '../options.ts';
import { openTaskSource } from '../task-source.ts';

export function registerScenarioCommands(program: Command): void {
  const scenario = program.command('scenario').description('list, validate and preview scenarios');

  scenario
    .command('list')
    .description('list the built-in scenarios')
    .action(() => {
      for (const name of listBuiltinScenarios()) {
        const { scenario: s } = resolveScenario(name);
        process.stdout.write(`${name.padEnd(10)} ${s.family.padEnd(21)} ${s.metric.padEnd(5)} ${s.description}\n`);
      }
    });

  scenario
    .command('validate')
    .description('check scenario files against the schema; errors and warnings name file, line and field')
    .argument('<files...>', 'scenario files (YAML or JSON)')
    .option('--strict', 'exit 2 when a file has warnings, not only errors')
    .action((files: string[], flags: { strict?: boolean }) => {
      const failures: string[] = [];
      let warned = 0;
      for (const file of files) {
        try {
          const source = loadScenarioFile(file);
          const warnings = scenarioWarnings(source);
          for (const w of warnings) process.stdout.write(`warning: ${formatIssue(file, w)}\n`);
          const s = source.scenario;
          const count = warnings.length === 0 ? '' : `, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}`;
          process.stdout.write(`${file}: ok (${s.name}, ${s.family}, ${s.agents.length} agents)${count}\n`);
          if (warnings.length > 0) warned++;
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          failures.push(e.message);
        }
      }
      if (flags.strict && warned > 0) failures.push(`--strict: ${warned} file${warned === 1 ? ' has' : 's have'} warnings`);
      if (failures.length > 0) throw new InputError(failures.join('\n'));
    });

  scenario
    .command('show')
    .description("render each agent's first prompt for one task")
    .argument('<scenario>', 'built-in name or scenario file')
    .option('--task <n>', 'which task: its 0-based position in the source, or its id', '0')
    .option('--tasks <file>', 'dataset file (default: tasks from the seeded generator)')
    .option('--format <format>', 'dataset format (default: the scenario\'s)')
    .option('--map <spec>', 'field mapping for --format jsonl, e.g. question=q,answers=a')
    .option('--seed <n>', 'run seed: decides how context is dealt to the agents', intOption(0), 0)
    .option('--task-seed <n>', 'seed of the task generator', intOption(0), 0)
    .action(async (name: string, flags: { task: string; tasks?: string; format?: string; map?: string; seed: number; taskSeed: number }) => {
      const { scenario: s } = resolveScenario(name);
      const wanted = flags.task;
      const position = /^\d+$/.test(wanted) ? Number(wanted) : undefined;
      const source = openTaskSource(
        s,
        { ...flags, ...(flags.tasks === undefined ? { generate: (position ?? 0) + 1 } : {}) },
        flags.taskSeed,
        () => {},
      );
      const task = await findTask(source.tasks, wanted, position);
      const information = splitContext(s, task, Rng.keyed(flags.seed, task.id, 'split'));
      const prompts = renderSystemPrompts(s, task, information);
      process.stdout.write(`# task ${task.id} (${task.dataset}); gold: ${JSON.stringify(task.answers)}\n`);
      s.agents.forEach((agent, i) => {
        process.stdout.write(`\n## ${agent.name} (${agent.role})\n${prompts[i]}\n`);
      });
    });
}

/**
 * The scenario a command runs, by built-in name or file, with its warnings printed on stderr:
 * a command loads its scenario once, so they appear once (the built-ins have none).
 */
export function loadScenario(nameOrPath: string): ScenarioSource {
  const source = resolveScenario(nameOrPath);
  for (const w of scenarioWarnings(source)) process.stderr.write(`dits: warning: ${formatIssue(source.file, w)}\n`);
  return source;
}

async function findTask(tasks: AsyncIterable<Task>, wanted: string, position: number | undefined): Promise<Task> {
  let i = 0;
  for await (const t of tasks) {
    if (i === position || t.id === wanted) return t;
    i++;
  }
  throw new InputError(`no task ${wanted}: the source has ${i} tasks`);
}
