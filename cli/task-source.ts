/** The task-source flags of the commands, and the spec they stand for (engine/tasks/task-source.ts reads it). */
import type { Command } from 'commander';
import { openTaskSource as openSpec, type TaskSource, type TaskSpec } from '../engine/tasks/task-source.ts';
import { parseFieldMapping, type DatasetError } from '../scenarios/datasets/index.ts';
import { InputError } from '../scenarios/errors.ts';
import type { Scenario } from '../scenarios/schema.ts';
import { givenFlags, intOption, warnIgnored } from './options.ts';

export interface TaskSourceFlags {
  tasks?: string;
  format?: string;
  map?: string;
  generate?: number;
  limit?: number;
  offset?: number;
  skipBadRows?: boolean;
}

/** Tasks from the generator when the command names no file. */
export const DEFAULT_GENERATED_TASKS = 20;

/** The spec the flags stand for; conflicting or missing flags are input errors in the flags' words. */
export function taskSpec(scenario: Scenario, flags: TaskSourceFlags): TaskSpec {
  if (flags.tasks !== undefined && flags.generate !== undefined) throw new InputError('give either --tasks FILE or --generate N, not both');
  if (flags.tasks === undefined) {
    const count = Math.min(flags.generate ?? DEFAULT_GENERATED_TASKS, flags.limit ?? Infinity);
    return { kind: 'generated', count, ...(flags.offset !== undefined ? { offset: flags.offset } : {}) };
  }
  const format = flags.format ?? scenario.dataset?.format;
  if (format === undefined) throw new InputError(`scenario ${scenario.name} names no dataset format: give --format`);
  return {
    kind: 'file',
    file: flags.tasks,
    format,
    ...(flags.map !== undefined ? { mapping: parseFieldMapping(flags.map) } : {}),
    ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
    ...(flags.offset !== undefined ? { offset: flags.offset } : {}),
    ...(flags.skipBadRows ? { skipBadRows: true } : {}),
  };
}

export function openTaskSource(scenario: Scenario, flags: TaskSourceFlags, taskSeed: number, onBadRow: (err: DatasetError) => void): TaskSource {
  return openSpec(scenario, taskSpec(scenario, flags), taskSeed, onBadRow);
}

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
