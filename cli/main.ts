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

/** Where an in-process run's output goes, and the folder its relative paths start from. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd?: string;
}

let capturing = false;

/**
 * Runs `dits` with `argv` (the arguments after `dits`) and gives its exit code; it never calls
 * process.exit. The real entry (bin/dits.mjs) passes no `io`. With `io` (tests), everything the
 * command writes to process.stdout and process.stderr goes to `io` instead, the streams read as
 * no terminal (as in a child process with pipes), and the process's cwd, exitCode and SIGINT/SIGTERM
 * listeners are put back afterwards. One captured run at a time per process.
 */
export async function runCli(argv: string[], io?: CliIo): Promise<number> {
  if (!io) return main(argv);
  if (capturing) throw new Error('runCli: another captured run is in progress in this process');
  capturing = true;
  const restore = [capture(process.stdout, io.stdout), capture(process.stderr, io.stderr)];
  const cwd = process.cwd();
  const exitCode = process.exitCode;
  const listeners = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  try {
    if (io.cwd !== undefined) process.chdir(io.cwd);
    return await main(argv);
  } finally {
    process.chdir(cwd);
    process.exitCode = exitCode;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      for (const l of process.listeners(signal)) if (!listeners[signal].includes(l)) process.off(signal, l);
    }
    for (const undo of restore) undo();
    capturing = false;
  }
}

/** Sends `stream`'s writes to `sink` and makes it read as no terminal, until the returned function is called. */
function capture(stream: NodeJS.WriteStream, sink: (text: string) => void): () => void {
  const write = Object.getOwnPropertyDescriptor(stream, 'write');
  const isTTY = Object.getOwnPropertyDescriptor(stream, 'isTTY');
  Object.defineProperty(stream, 'write', {
    configurable: true,
    writable: true,
    value: (chunk: string | Uint8Array, encoding?: BufferEncoding | ((e?: Error | null) => void), cb?: (e?: Error | null) => void) => {
      sink(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8'));
      const done = typeof encoding === 'function' ? encoding : cb;
      if (done) process.nextTick(done);
      return true;
    },
  });
  Object.defineProperty(stream, 'isTTY', { configurable: true, writable: true, value: false });
  return () => {
    for (const [key, d] of [['write', write], ['isTTY', isTTY]] as const) {
      if (d) Object.defineProperty(stream, key, d);
      else delete (stream as unknown as Record<string, unknown>)[key];
    }
  };
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    reportError(err);
    return exitCodeFor(err);
  } finally {
    await closeMathWorkers();
  }
}
