/**
 * A policy tournament (`dits compare --policies a,b,...`): each policy searches the same tasks
 * of each seed in a normal run folder `runs/<policy>-seed<k>/` (the pipeline of `dits run`,
 * one iteration by default, DPO on the full set of the policy's pairs, the Q meter capped by
 * `--budget-tokens` when given), reused when finished and resumed when not. Then, per policy,
 * what its searches yielded and what DPO on its pairs did downstream, each paired per seed
 * against the first policy with 95% intervals: tournament.json, tournament.md and report.html.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../engine/storage/files.ts';
import { writeTournamentReport } from '../engine/report/html/tournament-page.ts';
import type { BaseSizes } from '../engine/report/plan.ts';
import { mean, meanCi95, pairedCi95, type MeanCi } from '../engine/report/stats.ts';
import { formatDifference, formatMeanCi, markdownTable } from '../engine/report/table.ts';
import type { PolicyRef } from '../engine/search/policy-ref.ts';
import { readTreeRecords, type TreeRecord } from '../engine/tree/codec.ts';
import { InputError } from '../scenarios/errors.ts';
import type { Scenario } from '../scenarios/schema.ts';
import { DITS_VERSION } from '../engine/base/version.ts';
import { ensureRun, readRunResult, remainingTime, seedTasks, type CompareOptions } from './compare.ts';
import { DEFAULT_TRAINING } from './run-env.ts';
import { type RunManifest } from './run-manifest.ts';
import type { SearchRunSummary } from './run-search.ts';

export interface TournamentEntry {
  /** Folder and report name (unique). */
  name: string;
  policy: PolicyRef;
}

export interface TournamentOptions {
  out: string;
  scenario: Scenario;
  scenarioSource: string;
  seeds: number;
  base: BaseSizes;
  /** The first is the one every other is paired against. */
  entries: readonly TournamentEntry[];
  /** A dataset file every seed reads its tasks from; absent: generated tasks. */
  taskFile?: CompareOptions['taskFile'];
  /** Q tokens per iteration every policy may spend (absent: each spends its own selections x rollouts). */
  budgetTokens?: number;
  say: (line: string) => void;
}

/** What one (policy, seed) run's last iteration yielded. */
export interface TournamentRun {
  policy: string;
  seed: number;
  dir: string;
  /** Mean over tasks of the root's value (mean rollout reward). */
  rootValue: number;
  /** Mean over tasks of the best leaf's value (the best rollout's reward, identical dialogues merged). */
  bestRollout: number;
  pairs: number;
  /** Mean over tasks of the root's children: distinct first turns tried. */
  firstTurnBranches: number;
  /** Q tokens spent (search rollouts and the normalizer's dialogues). */
  qTokens: number;
  /** Tasks searched (fewer than asked when the budget ran out). */
  tasksSearched: number;
  /** Test metric after DPO on the policy's pairs (mean over the DPO seeds), and of the SFT model. */
  testMetric: number;
  sftMetric: number;
}

export const MEASURES = ['tasksSearched', 'rootValue', 'bestRollout', 'pairs', 'firstTurnBranches', 'qTokens', 'testMetric'] as const;
export type Measure = (typeof MEASURES)[number];

const MEASURE_LABELS: Record<Measure, string> = {
  tasksSearched: 'tasks searched',
  rootValue: 'mean root value',
  bestRollout: 'best rollout',
  pairs: 'pairs',
  firstTurnBranches: 'first-turn branches',
  qTokens: 'Q tokens',
  testMetric: 'test metric',
};

export interface TournamentRow {
  policy: string;
  measures: Record<Measure, MeanCi>;
  /** Per seed, this policy minus the first policy; absent for the first. */
  versusFirst?: Record<Measure, MeanCi>;
}

export interface TournamentResults {
  dits_version: string;
  scenario: string;
  scenarioSource: string;
  /** The shared dataset file, or null for generated tasks (task seed = seed). */
  taskFile: string | null;
  metric: string;
  seeds: number[];
  base: BaseSizes;
  budgetTokens: number | null;
  entries: TournamentEntry[];
  runs: TournamentRun[];
  rows: TournamentRow[];
}

function manifestFor(opts: TournamentOptions, entry: TournamentEntry, seed: number): RunManifest {
  const { base } = opts;
  return {
    dits_version: DITS_VERSION,
    command: 'run',
    config: {
      scenario: opts.scenario,
      seed,
      iterations: base.iterations,
      sftTasks: base.sftTasks,
      sftSamples: base.sftSamples,
      searchTasks: base.searchTasks,
      validationTasks: base.validationTasks,
      testTasks: base.testTasks,
      groupSize: base.groupSize,
      // DPO on every pair the policy yielded: the tournament judges the search, not a selection.
      selection: { mode: 'full', alpha: 1, gamma: 1 },
      searchPolicy: entry.policy,
      // With a budget it is all Q's: the probes, of no use to the full set, get nothing.
      ...(opts.budgetTokens !== undefined ? { budget: { tokens: opts.budgetTokens, influenceShare: 0 } } : {}),
      dpoSeeds: base.dpoSeeds,
      training: { ...DEFAULT_TRAINING },
    },
    tasks: seedTasks(opts.taskFile, seed),
  };
}

/** Root value, best leaf and first-turn branches of a tree, from its record. */
function treeMeasures(r: TreeRecord): { best: number; branches: number } {
  let best = -Infinity;
  let branches = 0;
  for (let n = 1; n < r.parent.length; n++) {
    if (r.parent[n] === 0) branches++;
    const visits = r.visits[n] as number;
    if (r.terminal[n] === 1 && visits > 0) best = Math.max(best, (r.valueSum[n] as number) / visits);
  }
  return { best: Number.isFinite(best) ? best : 0, branches };
}

function readRun(root: string, entry: TournamentEntry, manifest: RunManifest): TournamentRun {
  const result = readRunResult(root, entry.name, manifest);
  const last = result.iterations[result.iterations.length - 1];
  if (!last) throw new InputError(`${join(root, result.dir)} has no finished iteration`);
  const search = join(root, result.dir, `iter-${last.iteration}`, 'search');
  const summary = JSON.parse(readFileSync(join(search, 'summary.json'), 'utf8')) as SearchRunSummary;
  const trees = readTreeRecords(join(search, 'trees.msgpack')).map(treeMeasures);
  const perTree = (f: (t: { best: number; branches: number }) => number) => (trees.length ? mean(trees.map(f)) : 0);
  return {
    policy: entry.name,
    seed: result.seed,
    dir: result.dir,
    rootValue: summary.meanRootValue,
    bestRollout: perTree((t) => t.best),
    pairs: summary.pairs,
    firstTurnBranches: perTree((t) => t.branches),
    qTokens: last.meters.q.tokens,
    tasksSearched: summary.tasks,
    testMetric: last.metric,
    sftMetric: last.sft.metric,
  };
}

function measuresOf(runs: readonly TournamentRun[], f: (m: Measure) => (r: TournamentRun) => number): Record<Measure, MeanCi> {
  return Object.fromEntries(MEASURES.map((m) => [m, meanCi95(runs.map(f(m)))])) as Record<Measure, MeanCi>;
}

/** Per policy, every measure over seeds, and paired per seed against the first policy. */
export function summarizeTournament(entries: readonly TournamentEntry[], runs: readonly TournamentRun[]): TournamentRow[] {
  const bySeed = (name: string) => [...runs.filter((r) => r.policy === name)].sort((a, b) => a.seed - b.seed);
  const first = bySeed((entries[0] as TournamentEntry).name);
  return entries.map((e, i) => {
    const mine = bySeed(e.name);
    const row: TournamentRow = { policy: e.name, measures: measuresOf(mine, (m) => (r) => r[m]) };
    if (i > 0) {
      row.versusFirst = Object.fromEntries(MEASURES.map((m) => [m, pairedCi95(mine.map((r) => r[m]), first.map((r) => r[m]))])) as Record<Measure, MeanCi>;
    }
    return row;
  });
}

const DIGITS: Record<Measure, number> = { tasksSearched: 1, rootValue: 4, bestRollout: 4, pairs: 1, firstTurnBranches: 2, qTokens: 0, testMetric: 4 };

export function renderTournament(results: TournamentResults): string {
  const first = results.entries[0]?.name ?? '';
  const header = ['policy', ...MEASURES.map((m) => MEASURE_LABELS[m])];
  const values = results.rows.map((r) => [r.policy, ...MEASURES.map((m) => formatMeanCi(r.measures[m], DIGITS[m]))]);
  const diffs = results.rows.filter((r) => r.versusFirst).map((r) => [r.policy, ...MEASURES.map((m) => formatDifference((r.versusFirst as Record<Measure, MeanCi>)[m], DIGITS[m]))]);
  const budget = results.budgetTokens === null ? 'no token budget: each policy spends its own selections x rollouts' : `${results.budgetTokens.toLocaleString('en-US')} Q tokens per iteration for every policy`;
  return [
    `# Policy tournament: ${results.entries.map((e) => e.name).join(', ')}`,
    '',
    `Scenario ${results.scenario} (${results.scenarioSource}), test metric ${results.metric}; tasks ${results.taskFile ?? 'generated (task seed = seed)'}; seeds ${results.seeds.join(', ')}; ${results.base.searchTasks} search tasks per seed; ${budget}.`,
    'Every policy searches the same tasks of a seed; DPO trains on the full set of its pairs from the same kind of SFT model. Values are means over seeds with 95% Student t intervals.',
    '',
    '## Per policy',
    '',
    markdownTable(header, values),
    '',
    `## Paired against ${first}, seed by seed`,
    '',
    diffs.length ? markdownTable(header, diffs) : `(only ${first})`,
    '',
  ].join('\n');
}

export async function runTournament(opts: TournamentOptions): Promise<{ results: TournamentResults; report: string }> {
  const names = opts.entries.map((e) => e.name);
  if (new Set(names).size !== names.length) throw new InputError(`--policies names a policy twice (${names.join(', ')})`);
  const seeds = Array.from({ length: opts.seeds }, (_, k) => k);
  const total = seeds.length * opts.entries.length;
  const runs: TournamentRun[] = [];
  const clock = remainingTime();
  for (const seed of seeds) {
    for (const entry of opts.entries) {
      const manifest = manifestFor(opts, entry, seed);
      const started = performance.now();
      const status = await ensureRun(opts.out, entry.name, manifest, entry.policy.sha256 ? ' (a policy file that changed has another hash)' : '');
      const run = readRun(opts.out, entry, manifest);
      runs.push(run);
      const when = clock.status(status, performance.now() - started, total - runs.length);
      opts.say(
        `[${runs.length}/${total}] ${entry.name} seed ${seed}: ${run.tasksSearched} tasks, root value ${run.rootValue.toFixed(4)}, ${run.pairs} pairs, ` +
          `${run.qTokens.toLocaleString('en-US')} Q tokens, test ${opts.scenario.metric} ${run.testMetric.toFixed(4)} (SFT ${run.sftMetric.toFixed(4)}) (${when})\n`,
      );
    }
  }
  const results: TournamentResults = {
    dits_version: DITS_VERSION,
    scenario: opts.scenario.name,
    scenarioSource: opts.scenarioSource,
    taskFile: opts.taskFile ? `${opts.taskFile.file} (${opts.taskFile.format})` : null,
    metric: opts.scenario.metric,
    seeds,
    base: opts.base,
    budgetTokens: opts.budgetTokens ?? null,
    entries: [...opts.entries],
    runs,
    rows: summarizeTournament(opts.entries, runs),
  };
  const report = renderTournament(results);
  writeJsonAtomic(join(opts.out, 'tournament.json'), results);
  writeFileAtomic(join(opts.out, 'tournament.md'), report);
  await writeTournamentReport(opts.out, results, report);
  return { results, report };
}

