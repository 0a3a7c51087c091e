/** The `dits` command line. */
import { Command } from 'commander';
import { registerScenarioCommands } from './commands/scenario.ts';
import { registerSimulateCommand } from './commands/simulate.ts';
import { registerSearchCommand } from './commands/search.ts';
import { registerTreeCommands } from './commands/tree.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerCompareCommand } from './commands/compare.ts';
import { registerAnalyzeCommands } from './commands/analyze.ts';
import { registerServeSimCommand } from './commands/serve-sim.ts';
import { registerSimTrainCommand } from './commands/sim-train.ts';
import { registerStressCommand } from './commands/stress.ts';
import { EXIT_OK, exitCodeFor, reportError } from './exit.ts';
import { closeMathWorkers } from '../scenarios/metrics/index.ts';
import { DITS_VERSION } from '../engine/base/version.ts';

function buildProgram(): Command {
  const program = new Command('dits')
    .description('Synthesize training data for LLM multi-agent systems with Data Influence-oriented Tree Search')
    .version(DITS_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerScenarioCommands(program);
  registerSimulateCommand(program);
  registerSearchCommand(program);
  registerTreeCommands(program);
  registerRunCommand(program);
  registerCompareCommand(program);
  registerAnalyzeCommands(program);
  registerServeSimCommand(program);
  registerSimTrainCommand(program);
  registerStressCommand(program);
  program.commands.forEach(function override(c: Command) {
    c.exitOverride();
    c.commands.forEach(override);
  });
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return EXIT_OK;
  } catch (err) {
    reportError(err);
    return exitCodeFor(err);
  } finally {
    await closeMathWorkers();
  }
}

process.exitCode = await main(process.argv);
