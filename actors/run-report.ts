/**
 * `report.html` of a finished `dits run` folder, from the files its stages wrote: every
 * iteration's eval, meters, selection, probes and DPO records, and the first trees of each
 * iteration's search with their pairs' influence and whether selection kept them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MeterName, MeterReading } from '../engine/base/budget.ts';
import type { EvalResult } from '../engine/base/eval-result.ts';
import { writeFileAtomic } from '../engine/storage/files.ts';
import type { PairStats } from '../engine/influence/pair-stats.ts';
import type { PlantedKept } from '../engine/influence/plant.ts';
import { facts, int, params } from '../engine/report/html/format.ts';
import type { TreeSet, ViewTree } from '../engine/report/html/model.ts';
import { renderReportPage, REPORT_HTML } from '../engine/report/html/page.ts';
import { runPage, type RunIteration } from '../engine/report/html/run-page.ts';
import { treeNote } from '../engine/report/html/search-page.ts';
import { folderTrees, MAX_TREES, type PairFacts } from '../engine/report/html/trees.ts';
import { iterationSpend } from '../engine/report/results.ts';
import { PLANTED } from './plant.ts';
import { readManifest } from './run-manifest.ts';
import { DPO_FILE, FIRST_ORDER_FILE, iterDir, PAIR_STATS_FILE, trainSide, type DpoRecord, type RunEnv } from './run-stages.ts';

const readJson = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;
const readOptional = <T>(file: string): T | undefined => (existsSync(file) ? readJson<T>(file) : undefined);

interface ProbeRecord {
  groups: unknown[];
  /** Per candidate pair; NaN (null in JSON) for a pair no group probed. */
  pairInfluence: (number | null)[];
}

/** What the probes and selection say of each line of the search's pairs.jsonl. */
function pairFacts(env: RunEnv, t: number, searchPairs: number, probes: ProbeRecord): (line: number) => PairFacts {
  const dir = iterDir(env, t);
  const kept = new Set(
    readFileSync(join(dir, 'selected.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { index: number }).index),
  );
  // The candidate pool is the train side of pairs.jsonl in file order (candidatePool in run-stages.ts), so pool index k is the k-th train line.
  const poolIndex = new Map(trainSide(Array.from({ length: searchPairs }, (_, i) => i), env.config.seed + t).map((line, k) => [line, k]));
  return (line) => {
    const k = poolIndex.get(line);
    if (k === undefined) return { influence: null, fate: 'held out' };
    return { influence: probes.pairInfluence[k] ?? null, fate: kept.has(k) ? 'selected' : 'not selected' };
  };
}

function settingsTable(env: RunEnv) {
  const c = env.config;
  const source = readManifest(env.out)?.tasks;
  return facts([
    ['scenario', `${c.scenario.name} (metric ${c.scenario.metric})`],
    ['tasks', source?.file !== undefined ? `${source.file} (${source.format ?? 'by extension'})` : `generated, task seed ${source?.task_seed ?? c.seed}`],
    ['seed', String(c.seed)],
    ['iterations', String(c.iterations)],
    ['SFT data', `${c.sftTasks} tasks × ${c.sftSamples} samples`],
    ['search', `${c.searchTasks} tasks per iteration, policy ${c.searchPolicy ?? 'optima'}`],
    ['probes', `V = ${c.validationTasks} validation tasks, ${c.groupSize} pairs per group`],
    ['selection', `${c.selection.mode}, α = ${c.selection.alpha}, γ = ${c.selection.gamma}`],
    ['test tasks', String(c.testTasks)],
    ['DPO seeds', String(c.dpoSeeds ?? 1)],
    ['budget', c.budget ? `${int(c.budget.tokens)} Q + influence tokens per iteration, influence share ${c.budget.influenceShare}` : undefined],
    ['planted pairs', c.plant ? `${c.plant.harmful} harmful + ${c.plant.helpful} helpful per iteration` : undefined],
    ['expected metric', c.expectedMetric ? `at T = ${c.expectedMetric.temperature}${c.expectedMetric.tasks !== undefined ? `, first ${c.expectedMetric.tasks} test tasks` : ''}` : undefined],
    ['training', params(c.training as unknown as Record<string, unknown>)],
  ]);
}

/** Writes `report.html` into a run folder whose every stage has finished. */
export async function writeRunReport(env: RunEnv): Promise<void> {
  const { config } = env;
  const ts = Array.from({ length: config.iterations }, (_, t) => t);
  const cumulative = ts.map((t) => readJson<Record<MeterName, MeterReading>>(join(iterDir(env, t), 'meters.json')));
  const spend = iterationSpend(cumulative);
  // The page's tree budget is shared by the iterations, the first trees of each.
  const perIteration = Math.max(1, Math.floor(MAX_TREES / config.iterations));
  const trees: ViewTree[] = [];
  let total = 0;
  const iterations: RunIteration[] = [];
  for (const t of ts) {
    const dir = iterDir(env, t);
    const ev = readJson<EvalResult>(join(dir, 'eval.json'));
    const probes = readJson<ProbeRecord>(join(dir, 'influence.json'));
    const search = readJson<{ tasks: number; pairs: number }>(join(dir, 'search', 'summary.json'));
    const firstOrder = readOptional<{ spearman: number | null }>(join(dir, FIRST_ORDER_FILE));
    const planted = readOptional<PlantedKept>(join(dir, PLANTED));
    const kept = readFileSync(join(dir, 'selected.jsonl'), 'utf8').split('\n').filter(Boolean).length;
    iterations.push({
      iteration: t,
      metric: ev.metric,
      meanTokens: ev.meanTokens,
      testTasks: ev.tasks,
      perDpoSeed: ev.perDpoSeed,
      sft: ev.sft,
      expected: ev.expected ?? null,
      pairsCandidate: probes.pairInfluence.length,
      pairsKept: kept,
      groups: probes.groups.length,
      dpoSteps: readJson<DpoRecord>(join(dir, DPO_FILE)).steps,
      pairStats: readOptional<PairStats>(join(dir, PAIR_STATS_FILE)) ?? null,
      meters: spend[t] as Record<MeterName, MeterReading>,
      cumulative: cumulative[t] as Record<MeterName, MeterReading>,
      ...(firstOrder ? { firstOrderRho: firstOrder.spearman } : {}),
      ...(planted ? { planted: { harmful: { ...planted.harmful }, helpful: { ...planted.helpful } } } : {}),
    });
    trees.push(...(await folderTrees(join(dir, 'search'), { source: `iteration ${t}`, limit: perIteration, factsOf: pairFacts(env, t, search.pairs, probes) })));
    total += search.tasks;
  }
  const set: TreeSet = { trees, total, note: treeNote(trees.length, total, `the first ${perIteration} of each iteration's search, in task order; the others are in iter-<t>/search/trees.msgpack`) };
  const last = iterations.at(-1) as RunIteration;
  const page = runPage({
    title: `dits run: ${config.scenario.name}, ${config.iterations} iteration${config.iterations === 1 ? '' : 's'}, seed ${config.seed}`,
    subtitle: `selection ${config.selection.mode}; test ${config.scenario.metric} after the last iteration ${last.metric.toFixed(4)} (SFT ${last.sft.metric.toFixed(4)})`,
    settings: settingsTable(env),
    metric: config.scenario.metric,
    iterations,
    trees: set,
  });
  writeFileAtomic(join(env.out, REPORT_HTML), await renderReportPage(page));
}
