/** `dits stress POLICY`: the search invariants (properties/) against a built-in or a policy file. */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { generatorFor } from '../../engine/tasks/task-source.ts';
import { writeJsonAtomic } from '../../engine/storage/files.ts';
import { policyRef } from '../../engine/search/policy-ref.ts';
import { SimBackend } from '../../engine/sim/backend.ts';
import { createSimWorld } from '../../engine/sim/world.ts';
import { BUILTIN_POLICIES, loadPolicy } from '../../engine/search/policies/index.ts';
import type { PolicyParams } from '../../engine/search/policy.ts';
import { checkPolicy, INVARIANT_IDS, type InvariantOutcome } from '../../properties/check-policy.ts';
import type { StressEnv } from '../../properties/invariants.ts';
import { REFERENCE_RULES } from '../../properties/reference.ts';
import { checkThreadIndependence, THREADS_ID } from '../../properties/threads.ts';
import { InputError } from '../../scenarios/errors.ts';
import { ChecksFailed } from '../exit.ts';
import { floatOption, intOption } from '../options.ts';
import { progressBar } from '../progress.ts';
import { loadScenario } from './scenario.ts';
import { collectParam } from './search.ts';

interface StressFlags {
  scenario: string[];
  generate: number;
  runs: number;
  seed: number;
  timeout?: number;
  invariant: string[];
  path?: string;
  rule?: string;
  param: PolicyParams;
  budgetTokens?: number;
  threads: boolean;
  json?: boolean;
  out?: string;
  quiet?: boolean;
}

const DEFAULT_SCENARIOS = ['gsm8k', 'hotpotqa'];
const ALL_IDS = [...INVARIANT_IDS, THREADS_ID];

const collect = (value: string, acc: string[]) => [...acc, value];

function invariantId(value: string, acc: string[]): string[] {
  if (!ALL_IDS.includes(value)) throw new InvalidArgumentError(`unknown invariant '${value}' (known: ${ALL_IDS.join(', ')})`);
  return [...acc, value];
}

/** The scenarios with their generated tasks, each on its own simulated model. */
function stressEnv(specs: readonly string[], tasks: number, budgetTokens: number | undefined): StressEnv {
  const scenarios = specs.map((spec) => {
    const { scenario } = loadScenario(spec);
    const generated = generatorFor(scenario).make(1, tasks);
    return { name: spec, scenario, tasks: generated, backend: new SimBackend(createSimWorld(scenario, generated)) };
  });
  return { scenarios, ...(budgetTokens !== undefined ? { tokenBudget: budgetTokens } : {}) };
}

/** The command that checks exactly this shrunk case again. */
function replayCommand(spec: string, flags: StressFlags, o: InvariantOutcome): string {
  const args = ['dits', 'stress', spec, '--invariant', o.id, '--seed', String(o.seed)];
  if (o.path !== undefined) args.push('--path', o.path);
  for (const s of flags.scenario.length > 0 ? flags.scenario : []) args.push('--scenario', s);
  if (flags.generate !== 12) args.push('--generate', String(flags.generate));
  if (flags.rule) args.push('--rule', flags.rule);
  for (const [k, v] of Object.entries(flags.param)) args.push('--param', `${k}=${String(v)}`);
  if (flags.budgetTokens !== undefined) args.push('--budget-tokens', String(flags.budgetTokens));
  return args.map((a) => (/^[\w./:=,-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}

function report(spec: string, flags: StressFlags, outcomes: readonly InvariantOutcome[]): string {
  const width = Math.max(...outcomes.map((o) => o.id.length));
  const lines: string[] = [];
  for (const o of outcomes) {
    const head = `${o.status === 'held' ? 'held   ' : o.status === 'broken' ? 'BROKEN ' : 'skipped'}  ${o.id.padEnd(width)}`;
    if (o.status === 'skipped') lines.push(`${head}  (${o.reason})`);
    else if (o.status === 'held') lines.push(`${head}  ${o.runs} run${o.runs === 1 ? '' : 's'}: ${o.guarantees}`);
    else {
      lines.push(`${head}  after ${o.runs} run${o.runs === 1 ? '' : 's'}: ${o.guarantees}`);
      if (o.counterexample) lines.push(`           case:    ${o.counterexample}`);
      lines.push(`           problem: ${o.message}`);
      if (o.nodes) lines.push(`           nodes selected: [${o.nodes.join(', ')}]`);
      lines.push(`           replay:  ${replayCommand(spec, flags, o)}`);
    }
  }
  const broken = outcomes.filter((o) => o.status === 'broken').length;
  const held = outcomes.filter((o) => o.status === 'held').length;
  lines.push(`${held} held, ${broken} broken${outcomes.length > held + broken ? `, ${outcomes.length - held - broken} skipped` : ''}`);
  return lines.join('\n') + '\n';
}

export function registerStressCommand(program: Command): void {
  program
    .command('stress')
    .description('check a search policy against the search invariants (docs/invariants.md) with fast-check on the simulated model; exit 0 only when every one held')
    .argument('<policy>', `a built-in (${Object.keys(BUILTIN_POLICIES).join(', ')}) or a .ts/.js file exporting a policy`)
    .option('--scenario <name|file>', `scenario searched (repeatable; default: ${DEFAULT_SCENARIOS.join(', ')})`, collect, [])
    .option('--generate <n>', 'generated tasks per scenario the cases draw from', intOption(1, 1000), 12)
    .option('--runs <n>', 'random cases per invariant', intOption(1, 1_000_000), 100)
    .option('--seed <n>', "fast-check's seed: the same seed checks the same cases", intOption(0, 2 ** 31 - 1), 1)
    .option('--timeout <s>', 'a case that takes longer fails (only waiting can be interrupted: a select() that never returns hangs)', floatOption(0.001, 86_400))
    .option('--invariant <id>', `only this invariant (repeatable): ${ALL_IDS.join(', ')}`, invariantId, [])
    .option('--path <path>', 'replay the shrunk case at this fast-check path (from a report; with one --invariant and its --seed)')
    .option('--rule <name>', `also check every choice against a built-in's rule (${Object.keys(REFERENCE_RULES).join(', ')}); a built-in is checked against its own`)
    .option('--param <name=value>', 'a policy parameter (repeatable)', collectParam, {})
    .option('--budget-tokens <n>', 'a token budget each case searches under; the budget invariant checks it is never passed', intOption(1))
    .option('--no-threads', `skip ${THREADS_ID} (two dits search processes)`)
    .option('--json', 'print the outcomes as JSON instead of the report')
    .option('--out <file>', 'save each invariant\'s outcome to this JSON file as it finishes; the same command again skips the invariants already there (a long check resumes)')
    .option('--quiet', 'no progress bar')
    .action(async (spec: string, flags: StressFlags) => {
      if (flags.path !== undefined && flags.invariant.length !== 1) throw new InputError('--path replays one case of one invariant: give exactly one --invariant with it');
      const rule = flags.rule ?? (spec in REFERENCE_RULES ? spec : undefined);
      if (rule !== undefined && !(rule in REFERENCE_RULES)) throw new InputError(`--rule ${rule}: no such rule (known: ${Object.keys(REFERENCE_RULES).join(', ')})`);
      const policy = await loadPolicy(spec, flags.param);
      const env = stressEnv(flags.scenario.length > 0 ? flags.scenario : DEFAULT_SCENARIOS, flags.generate, flags.budgetTokens);
      const only = flags.invariant.length > 0 ? flags.invariant : undefined;
      const saved = flags.out !== undefined ? openSaved(flags.out, stressSettings(spec, flags, rule)) : undefined;
      if (saved && saved.outcomes.length > 0 && !flags.quiet) process.stderr.write(`dits: ${flags.out}: ${saved.outcomes.length} invariants finished earlier are not checked again\n`);
      let bar: ReturnType<typeof progressBar> | undefined;
      let current = '';
      const outcomes = await checkPolicy({ policy, ...(rule ? { rule } : {}) }, env, {
        runs: flags.runs,
        seed: flags.seed,
        ...(only ? { only } : {}),
        ...(flags.path !== undefined ? { path: flags.path } : {}),
        ...(flags.timeout !== undefined ? { timeoutMs: flags.timeout * 1000 } : {}),
        ...(saved ? { finished: saved.outcomes, onOutcome: (o: InvariantOutcome) => saved.save(o) } : {}),
        onProgress: (id, done, total) => {
          if (id !== current) {
            bar?.stop();
            bar = progressBar(`stress ${id.padEnd(24)}`, total, flags.quiet ?? false);
            current = id;
          }
          bar?.update(done);
        },
      });
      bar?.stop();
      if (!only || only.includes(THREADS_ID)) {
        const threads = saved?.outcomes.find((o) => o.id === THREADS_ID) ?? (await threadsOutcome(spec, flags, env));
        outcomes.push(threads);
        saved?.save(threads);
      }
      process.stdout.write(flags.json ? `${JSON.stringify(outcomes, null, 2)}\n` : report(spec, flags, outcomes));
      const broken = outcomes.filter((o) => o.status === 'broken').length;
      if (broken > 0) throw new ChecksFailed(`${policy.name}: ${broken} of ${outcomes.length} invariants broken`);
    });
}

function readJsonFile<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new InputError(`${file}: not a saved stress check (${(e as Error).message})`);
  }
}

/** Everything that decides a stress check's outcomes: a saved file is continued only under the same. */
function stressSettings(spec: string, flags: StressFlags, rule: string | undefined): unknown {
  return {
    policy: policyRef(spec, flags.param),
    rule: rule ?? null,
    scenarios: flags.scenario,
    generate: flags.generate,
    runs: flags.runs,
    seed: flags.seed,
    path: flags.path ?? null,
    budgetTokens: flags.budgetTokens ?? null,
    timeout: flags.timeout ?? null,
    threads: flags.threads,
  };
}

interface SavedCheck {
  settings: unknown;
  outcomes: InvariantOutcome[];
}

/** The outcomes saved in `file` by an earlier check with these settings, and how to add one. */
function openSaved(file: string, settings: unknown): { outcomes: InvariantOutcome[]; save: (o: InvariantOutcome) => void } {
  let state: SavedCheck = { settings, outcomes: [] };
  if (existsSync(file)) {
    const found = readJsonFile<SavedCheck>(file);
    if (JSON.stringify(found.settings) !== JSON.stringify(settings)) {
      throw new InputError(`${file} holds a stress check with other settings (policy, its file's hash, scenarios, runs, seed...): give the same flags, or another --out`);
    }
    state = found;
  }
  return {
    outcomes: [...state.outcomes],
    save: (o) => {
      if (state.outcomes.some((k) => k.id === o.id)) return;
      state = { settings, outcomes: [...state.outcomes, o] };
      writeJsonAtomic(file, state);
    },
  };
}

async function threadsOutcome(spec: string, flags: StressFlags, env: StressEnv): Promise<InvariantOutcome> {
  const skipped = (reason: string): InvariantOutcome => ({ id: THREADS_ID, guarantees: 'dits search writes byte-identical folders in one thread and in two', status: 'skipped', reason, runs: 0, seed: flags.seed });
  if (!flags.threads) return skipped('--no-threads');
  // dits search refuses the dits policy (it needs probes); its search runs in the main thread only.
  if (spec === 'dits') return skipped('the dits policy is searched in the main thread only (dits run)');
  const first = env.scenarios[0] as StressEnv['scenarios'][number];
  return checkThreadIndependence({ policy: spec, params: flags.param, scenario: first.name, tasks: 6, seed: flags.seed });
}
