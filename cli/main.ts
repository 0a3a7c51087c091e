/** The `dits` command line. */
import { Command } from 'commander';
import { EXIT_OK, exitCodeFor, reportError } from './exit.ts';
import { closeMathWorkers } from '../scenarios/metrics/math-client.ts';
import { DITS_VERSION } from '../engine/base/version.ts';

type Register = (program: Command) => void;

/**
 * Every command, in the order `dits --help` lists them: the line shown there, and how to load the
 * module that registers the command under that name. Only the command named on the command line
 * is loaded, so one command's dependencies (vega, the tokenizer, the Compute Engine, xstate...)
 * cost nothing to the others, nor to `dits --help`.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Register> }> = {
  scenario: { summary: 'list, validate and preview scenarios', load: async () => (await import('./commands/scenario.ts')).registerScenarioCommands },
  simulate: { summary: 'run one dialogue per task with a backend; write trajectories.jsonl, summary.json and manifest.json', load: async () => (await import('./commands/simulate.ts')).registerSimulateCommand },
  search: { summary: 'search a tree per task; write trees.msgpack, pairs.jsonl, datasets/<trainer>/, summary.json and manifest.json', load: async () => (await import('./commands/search.ts')).registerSearchCommand },
  tree: { summary: 'inspect the search trees of a run', load: async () => (await import('./commands/tree.ts')).registerTreeCommands },
  run: { summary: 'the DITS loop (§3.4): per iteration SFT data, SFT, search, warm start, influence probes, selection, DPO, evaluation', load: async () => (await import('./commands/run.ts')).registerRunCommand },
  compare: { summary: 'configurations at equal budget over k seeds (§4, §5), each a run folder; writes report.md, plot.svg and results.json', load: async () => (await import('./commands/compare.ts')).registerCompareCommand },
  analyze: { summary: 'analyses of a dits run folder', load: async () => (await import('./commands/analyze.ts')).registerAnalyzeCommands },
  'serve-sim': { summary: 'serve the simulated model over HTTP (the vLLM subset of docs/http-protocol.md), with injected faults for testing clients', load: async () => (await import('./commands/serve-sim.ts')).registerServeSimCommand },
  'sim-train': { summary: 'run a training job on the simulated model: the trainer hook for runs on the simulated model', load: async () => (await import('./commands/sim-train.ts')).registerSimTrainCommand },
  stress: { summary: 'check a search policy against the search invariants (docs/invariants.md) with fast-check on the simulated model', load: async () => (await import('./commands/stress.ts')).registerStressCommand },
  worker: { summary: 'run the search tasks, probes and runs that dits search|run|compare --queue send through Redis', load: async () => (await import('./commands/worker.ts')).registerWorkerCommand },
};

/** The names of the commands, for tests that load each one. */
export const COMMAND_NAMES = Object.keys(COMMANDS);

/**
 * The command `argv` runs, or asks help for (`dits help run`): its first word that is not an
 * option, since dits itself takes no option with a value.
 */
function commandNamed(argv: string[]): string | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/**
 * The program with `argv`'s command registered in full and every other one by name and summary
 * alone: that is all `dits --help` shows of them, and an unknown name is still commander's error.
 */
export async function buildProgram(argv: string[]): Promise<Command> {
  const program = new Command('dits')
    .description('Synthesize training data for LLM multi-agent systems with Data Influence-oriented Tree Search')
    .version(DITS_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const wanted = commandNamed(argv);
  for (const [name, { summary, load }] of Object.entries(COMMANDS)) {
    if (name === wanted) (await load())(program);
    else program.command(name).summary(summary);
  }
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
    await (await buildProgram(argv)).parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    reportError(err);
    return exitCodeFor(err);
  } finally {
    await closeMathWorkers();
  }
}
