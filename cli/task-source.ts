/** The task-source flags of the commands; the source itself is engine/tasks.ts. */
import type { Command } from 'commander';
import { givenFlags, intOption, warnIgnored } from './options.ts';

export { openTaskSource, generatorFor, type TaskSource, type TaskSourceFlags } from '../engine/tasks.ts';

/** The task-source flags shared by `simulate`, `search` and `scenario show`. */
export function addTaskSourceOptions(cmd: Command): Command {
  return cmd
    .option('--tasks <file>', "dataset file, read as the scenario's dataset format unless --format says otherwise")
    .option('--format <format>', 'dataset format: gsm8k, math, mmlu, arc, hotpotqa, 2wiki, triviaqa, cbt, jsonl')
    .option('--map <spec>', 'field mapping for --format jsonl, e.g. question=q,answers=gold,id=uid')
    .option('--generate <n>', 'use n tasks from the seeded generator instead of a file (default when --tasks is absent: 20)', intOption(1))
    .option('--task-seed <n>', 'seed of the task generator', intOption(0), 0)
    .option('--limit <n>', 'use at most n tasks', intOption(1))
    .option('--offset <n>', 'skip the first n tasks', intOption(0))
    .option('--skip-bad-rows', 'report bad dataset rows on stderr and go on, instead of stopping at the first');
}


/** Warns of task-source flags the source does not use: the file's reading flags with generated tasks. */
export function warnUnusedTaskFlags(cmd: Command, flags: { tasks?: string }): void {
  if (flags.tasks === undefined) warnIgnored(givenFlags(cmd, ['format', 'map', 'skipBadRows']), 'they apply to --tasks FILE, and the tasks are generated');
}
