/** `dits serve-sim`: the simulated model behind an HTTP server speaking vLLM's API, with injected faults. */
import { InvalidArgumentError, type Command } from 'commander';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import { InputError } from '../../scenarios/errors.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';
import { createSimWorld, type SimWorld } from '../../engine/sim/world.ts';
import { parseFailSpec, parseLatency, type FaultOptions } from '../../serve-sim/faults.ts';
import { DEFAULT_MODEL_NAME, startSimServer } from '../../serve-sim/server.ts';
import { intOption } from '../options.ts';
import { addTaskSourceOptions, openTaskSource, type TaskSourceFlags } from '../task-source.ts';

interface ServeSimFlags extends TaskSourceFlags {
  scenario: string;
  taskSeed: number;
  host: string;
  port: number;
  model: string;
  latency?: [number, number];
  capacity?: number;
  overCapacity: 429 | 503;
  fail?: ServeSimFaultRates;
  retryAfter?: number;
  startupDelay?: number;
  faultSeed: number;
}

type ServeSimFaultRates = NonNullable<FaultOptions['rates']>;

/** An option parser from a parser that throws InputError: commander reports the flag and the reason. */
function asOption<T>(parse: (value: string) => T) {
  return (value: string): T => {
    try {
      return parse(value);
    } catch (e) {
      if (e instanceof InputError) throw new InvalidArgumentError(e.message);
      throw e;
    }
  };
}

function overCapacityOption(value: string): 429 | 503 {
  if (value.trim() === '429') return 429;
  if (value.trim() === '503') return 503;
  throw new InvalidArgumentError(`expected 429 or 503, got '${value}'`);
}

/** The world of a scenario and every task of its task source, read up front. */
export async function simWorldFromFlags(flags: TaskSourceFlags & { scenario: string; taskSeed: number }): Promise<{ scenario: Scenario; world: SimWorld; tasks: number }> {
  const { scenario } = resolveScenario(flags.scenario);
  const source = openTaskSource(scenario, flags, flags.taskSeed, (err) => process.stderr.write(`dits: skipped bad row: ${err.message}\n`));
  const tasks: Task[] = [];
  for await (const t of source.tasks) tasks.push(t);
  return { scenario, world: createSimWorld(scenario, tasks), tasks: tasks.length };
}

export function registerServeSimCommand(program: Command): void {
  const cmd = program
    .command('serve-sim')
    .description(
      'serve the simulated model over HTTP (the vLLM subset of docs/http-protocol.md: chat completions, ' +
        'scoring, tokenize, LoRA adapters, /health, plus /sim/train and /sim/stats), with injected faults for testing clients',
    )
    .requiredOption('--scenario <name|file>', 'built-in scenario name (see `dits scenario list`) or scenario file: its agents and answer format shape the model');
  addTaskSourceOptions(cmd)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port; the chosen one is printed)', intOption(0, 65535), 8000)
    .option('--model <id>', 'id of the base model, as requests name it and /v1/models lists it', DEFAULT_MODEL_NAME)
    .option('--latency <ms|min-max>', 'added latency per inference request: fixed (50) or uniform in a range (20-80)', asOption(parseLatency))
    .option('--capacity <n>', 'inference requests in flight at most; more are turned away at once with --over-capacity', intOption(1))
    .option('--over-capacity <status>', 'status of a request over --capacity: 429 or 503', overCapacityOption, 429)
    .option(
      '--fail <spec>',
      'share of inference requests that fail, by kind: 429, 503, 500 (that status), reset (connection reset, no answer), ' +
        'hang (no answer until the client gives up); e.g. 429=0.05,500=0.02,reset=0.01; shares sum to at most 1',
      asOption(parseFailSpec),
    )
    .option('--retry-after <s>', 'Retry-After header (seconds) on 429 and 503 answers', intOption(0))
    .option('--startup-delay <ms>', 'answer every route 503 "Loading model" for this long after start, as a loading server does', intOption(0))
    .option('--fault-seed <n>', 'seed of the fault decisions: the same seed gives the same fault for the k-th request', intOption(0, 2 ** 32 - 1), 0)
    .addHelpText(
      'after',
      [
        '',
        'Prints one line once listening:',
        '  serve-sim: listening on http://HOST:PORT (model M, N tasks)',
        'then serves until SIGINT or SIGTERM, and closes gracefully.',
        '',
        'Faults apply to the inference routes only (chat, completions, tokenize, detokenize).',
        'Per request, in arrival order: the capacity check, then one fault drawn by --fail',
        '(keyed by --fault-seed and the request number), then --latency, then the answer.',
        '',
        'Example: dits serve-sim --scenario hotpotqa --generate 200 --latency 20-80 --fail 429=0.05,reset=0.01',
      ].join('\n'),
    )
    .action(async (flags: ServeSimFlags) => runServeSim(flags));
}

async function runServeSim(flags: ServeSimFlags): Promise<void> {
  const { world, tasks } = await simWorldFromFlags(flags);
  const faults: FaultOptions = {
    overCapacityStatus: flags.overCapacity,
    seed: flags.faultSeed,
    ...(flags.latency !== undefined ? { latencyMs: flags.latency } : {}),
    ...(flags.capacity !== undefined ? { capacity: flags.capacity } : {}),
    ...(flags.fail !== undefined ? { rates: flags.fail } : {}),
    ...(flags.retryAfter !== undefined ? { retryAfterSeconds: flags.retryAfter } : {}),
    ...(flags.startupDelay !== undefined ? { startupDelayMs: flags.startupDelay } : {}),
  };
  let server;
  try {
    server = await startSimServer({ world, modelName: flags.model, host: flags.host, port: flags.port, faults });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new InputError(`cannot listen on ${flags.host}:${flags.port}: the port is in use (--port 0 picks a free one)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES') throw new InputError(`cannot listen on ${flags.host}:${flags.port}: ${(e as Error).message}`);
    throw e;
  }
  process.stdout.write(`serve-sim: listening on ${server.url} (model ${flags.model}, ${tasks} tasks)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
}
