/** `dits tree show`: one task's search tree from a run folder. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../scenarios/errors.ts';
import { readTreeRecords, treeFromRecord } from '../../engine/tree/codec.ts';
import { treeAsDot, treeAsText } from '../../engine/tree/render.ts';
import { intOption } from '../options.ts';

export function registerTreeCommands(program: Command): void {
  const tree = program.command('tree').description('inspect the search trees of a run');
  tree
    .command('show')
    .description('print one task\'s tree as indented text (Q, visits, utterance) or Graphviz DOT')
    .argument('<run>', 'run folder written by `dits search`')
    .requiredOption('--task <id>', 'task id (see pairs.jsonl or the trajectories)')
    .option('--format <format>', 'text or dot', 'text')
    .option('--width <n>', 'characters of each utterance to show', intOption(10, 10_000), 100)
    .action((run: string, flags: { task: string; format: string; width: number }) => {
      if (flags.format !== 'text' && flags.format !== 'dot') throw new InputError(`--format must be text or dot, got '${flags.format}'`);
      const file = join(run, 'trees.msgpack');
      if (!existsSync(file)) throw new InputError(`${run}: no trees.msgpack here; is it a folder written by dits search?`);
      const records = readTreeRecords(file);
      const record = records.find((r) => r.taskId === flags.task);
      if (!record) {
        const ids = records.slice(0, 5).map((r) => r.taskId).join(', ');
        throw new InputError(`${file}: no tree for task '${flags.task}' (${records.length} trees; first ids: ${ids})`);
      }
      const t = treeFromRecord(record);
      const render = flags.format === 'dot' ? treeAsDot : treeAsText;
      process.stdout.write(render(t, { width: flags.width, title: `task ${record.taskId}` }));
    });
}
