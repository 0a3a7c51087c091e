/** `dits compare`: a preset's configurations at equal budget over k seeds, paired per seed against a reference, with 95% intervals. */
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { BUILTIN_DIR, type resolveScenario } from '../../scenarios/scenario-file.ts';
import { loadScenario } from './scenario.ts';
import { DEFAULT_SHARES, PRESETS, type Preset } from '../../engine/report/plan.ts';
import { runCompare, type CompareOptions } from '../../actors/compare.ts';
import { runTournament, type TournamentEntry } from '../../actors/tournament.ts';
import { loadPolicyRef, policyLabel, policyRef } from '../../engine/search/policy-ref.ts';
import { InputError } from '../../scenarios/errors.ts';
import { addRunSizeOptions, runSizes, type RunSizeFlags } from '../run-options.ts';
import { addQueueOptions, queueFrom, warnUnusedQueueFlags, type QueueFlags } from '../queue.ts';
import type { RunManifest } from '../../actors/run-manifest.ts';
import { floatOption, intOption } from '../options.ts';

interface CompareFlags extends RunSizeFlags, QueueFlags {
  preset: Preset;
  seeds: number;
  scenario: string;
  out?: string;
  alpha: number;
  shares: number[];
  plant?: number;
  reference: string;
  expectedMetric: number | false;
  expectedTasks: number;
  policies?: string[];
  budgetTokens?: number;
  tasks?: string;
  format?: string;
  map?: string;
  limit?: number;
  offset?: number;
  skipBadRows?: boolean;
  quiet?: boolean;
}

function preset(value: string): Preset {
  if (!(PRESETS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${PRESETS.join(', ')}`);
  return value as Preset;
}

function policyList(value: string): string[] {
  const specs = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (specs.length < 2) throw new InvalidArgumentError(`a tournament needs two or more policies, got '${value}'`);
  return specs;
}

/** Each policy's ref and a unique name for its folders (a file's base name; a clash gets its position). */
async function tournamentEntries(specs: readonly string[]): Promise<TournamentEntry[]> {
  const labels = specs.map(policyLabel);
  const entries = specs.map((spec, i) => {
    const label = labels[i] as string;
    return { name: labels.indexOf(label) === i && labels.lastIndexOf(label) === i ? label : `${label}-${i + 1}`, policy: policyRef(spec, {}) };
  });
  // Load each now, so a bad file fails before any run.
  for (const e of entries) {
    const p = await loadPolicyRef(e.policy);
    if (p.probing !== undefined) throw new InputError(`--policies: ${e.name} probes during the search; compare it with dits run --policy ${e.name} instead (a tournament's runs have no probes)`);
  }
  return entries;
}

function shares(value: string): number[] {
  if (value.trim() === '') return [];
  const out = value.split(',').map((s) => floatOption(0, 0.99)(s));
  if (new Set(out).size !== out.length) throw new InvalidArgumentError(`shares must differ, got ${value}`);
  return out;
}

export function registerCompareCommand(program: Command): void {
  const cmd = addRunSizeOptions(program.command('compare'), { iterations: 1, testTasks: 1000, dpoSeeds: 3 })
    .description(
      'configurations at equal budget over k seeds (§4, §5): each a normal run folder under --out/runs, reused when finished; ' +
        'writes report.md (per seed paired differences against --reference and against the SFT model with 95% Student t intervals, ' +
        'batch-order noise from the DPO seeds, collapse rate, zero-gradient share, tokens, calls and tokens per meter), plot.svg and results.json',
    )
    .option('--preset <name>', `configurations: ${PRESETS.join(', ')} (full set, random, Q, influence γ = 0, mix γ = 1, and the budget-allocation sweep)`, preset, 'paper-ablation')
    .option('--seeds <k>', 'seeds 0..k-1; seed k sets the run seed and the task seed', intOption(1, 1000), 5)
    .option('--scenario <name|file>', 'built-in scenario name or scenario file (generated tasks)', 'hotpotqa')
    .option('--out <dir>', 'comparison folder (default: runs/compare-<preset>-<scenario>)')
    .option('--alpha <a>', 'fraction of pairs kept by every selection but the full set', floatOption(0, 1), 0.5)
    .addOption(
      new Option('--shares <list>', 'influence shares of the budget sweep, comma-separated, each in [0, 0.99]; empty for none')
        .argParser(shares)
        .default([...DEFAULT_SHARES], DEFAULT_SHARES.join(',')),
    )
    .option('--plant <n>', 'plant n known-harmful pairs and their n helpful mirrors in every run\'s candidate pool (dits run --plant); the report adds what each configuration kept', intOption(1))
    .option('--reference <name>', 'the configuration every other is paired against, seed by seed (a selection mode or share-<s>)', 'full')
    .option('--expected-metric <T>', 'also the exact expected test metric when sampling at temperature T (simulated model)', floatOption(0.01, 10), 0.7)
    .option('--no-expected-metric', 'skip the expected test metric')
    .option('--expected-tasks <n>', 'test tasks the expected metric is computed on (the first n; the selection ablation only)', intOption(1), 100)
    .option('--tasks <file>', 'tasks from this dataset file for every seed (a seed then changes the run seed only) instead of generated ones; not with a budget sweep (--shares \'\')')
    .option('--format <format>', '--tasks: the dataset format (default: the scenario\'s)')
    .option('--map <spec>', '--tasks: field mapping for --format jsonl')
    .option('--limit <n>', '--tasks: read at most n tasks of the file', intOption(1))
    .option('--offset <n>', '--tasks: skip the first n tasks of the file', intOption(0))
    .option('--skip-bad-rows', '--tasks: report bad dataset rows and go on')
    .option('--policies <list>', 'a policy tournament instead of the preset: comma-separated built-ins or policy files, each searching the same tasks per seed; the first is the one the others are paired against (writes tournament.md, tournament.json)', policyList)
    .option('--budget-tokens <n>', 'tournament: the Q tokens per iteration every policy may spend (default: none, each spends its own selections x rollouts)', intOption(1))
    .option('--quiet', 'print nothing but errors');
  addQueueOptions(cmd, 'the runs not finished yet, all of a phase at once, each a whole run made by one worker (a --tasks file must sit at the same path on every worker machine)', { window: false })
    .action(async (flags: CompareFlags, command: Command) => {
      const { scenario, file } = loadScenario(flags.scenario);
      const taskFile = taskFileOf(flags, scenario);
      if (flags.policies) {
        if (flags.queue !== undefined) throw new InputError('--queue makes the preset\'s runs in dits worker processes; a tournament (--policies) runs in this process: leave out --queue');
        return tournament({ ...flags, policies: flags.policies }, scenario, file, taskFile);
      }
      warnUnusedQueueFlags(command, flags);
      if (taskFile && flags.shares.length > 0) {
        throw new InputError("--tasks with a budget sweep: the sweep changes V, which would shift the test tasks taken from a file; give --shares '' for the selection ablation alone");
      }
      // Planted runs have other settings, so they get a folder of their own.
      const out = flags.out ?? join('runs', `compare-${flags.preset}-${scenario.name}${flags.plant !== undefined ? `-plant${flags.plant}` : ''}`);
      const say = (s: string) => flags.quiet || process.stdout.write(s);
      const started = performance.now();
      const queue = await queueFrom(flags, (line) => process.stderr.write(`dits: ${line}\n`));
      const { report, ran, reused } = await runCompare({
        out,
        preset: flags.preset,
        scenario,
        scenarioSource: file.startsWith(BUILTIN_DIR) ? `built-in scenarios/builtin/${relative(BUILTIN_DIR, file)}` : file,
        seeds: flags.seeds,
        base: {
          ...runSizes(flags),
          alpha: flags.alpha,
          dpoSeeds: flags.dpoSeeds,
        },
        shares: flags.shares,
        ...(flags.plant !== undefined ? { plant: flags.plant } : {}),
        ...(taskFile ? { taskFile } : {}),
        reference: flags.reference,
        expectedTemperature: flags.expectedMetric === false ? null : flags.expectedMetric,
        expectedTasks: flags.expectedTasks,
        say,
        ...(queue ? { remote: (manifest: RunManifest) => queue.makeRun(manifest) } : {}),
      }).finally(() => queue?.close());
      say(`\n${report}\n`);
      say(`done in ${((performance.now() - started) / 1000).toFixed(1)} s (${ran} runs made or continued, ${reused} reused); wrote ${join(out, 'report.md')}, plot.svg, results.json\n`);
    });
}

type Scenario = ReturnType<typeof resolveScenario>['scenario'];

/** `--tasks FILE` and its slice flags as every seed's run reads them (an absolute path: run folders are reused from anywhere). */
function taskFileOf(flags: CompareFlags, scenario: Scenario): CompareOptions['taskFile'] {
  if (flags.tasks === undefined) {
    for (const f of ['format', 'map', 'limit', 'offset', 'skipBadRows'] as const) {
      if (flags[f] !== undefined) process.stderr.write(`dits: warning: --${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to --tasks, which is not given: ignored\n`);
    }
    return undefined;
  }
  const format = flags.format ?? scenario.dataset?.format;
  if (format === undefined) throw new InputError(`scenario ${scenario.name} names no dataset format: give --format`);
  return {
    file: resolve(flags.tasks),
    format,
    ...(flags.map !== undefined ? { map: flags.map } : {}),
    ...(flags.offset !== undefined ? { offset: flags.offset } : {}),
    ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
    ...(flags.skipBadRows ? { skip_bad_rows: true } : {}),
  };
}

async function tournament(flags: CompareFlags & { policies: string[] }, scenario: Scenario, file: string, taskFile: CompareOptions['taskFile']): Promise<void> {
  const entries = await tournamentEntries(flags.policies);
  const out = flags.out ?? join('runs', `tournament-${entries.map((e) => e.name).join('-')}-${scenario.name}`);
  const say = (s: string) => flags.quiet || process.stdout.write(s);
  if (flags.budgetTokens === undefined) say('note: no --budget-tokens, so each policy spends its own selections x rollouts; give one to compare at equal budget\n');
  const started = performance.now();
  const { report } = await runTournament({
    out,
    scenario,
    scenarioSource: file.startsWith(BUILTIN_DIR) ? `built-in scenarios/builtin/${relative(BUILTIN_DIR, file)}` : file,
    seeds: flags.seeds,
    base: { ...runSizes(flags), alpha: 1, dpoSeeds: flags.dpoSeeds },
    entries,
    ...(taskFile ? { taskFile } : {}),
    ...(flags.budgetTokens !== undefined ? { budgetTokens: flags.budgetTokens } : {}),
    say,
  });
  say(`\n${report}\n`);
  say(`done in ${((performance.now() - started) / 1000).toFixed(1)} s; wrote ${join(out, 'tournament.md')}, tournament.json\n`);
}
