/**
 * `dits analyze utility` (the DITS paper's Figure 2(a) check, docs/influence.md): for a seeded
 * sample of an iteration's probe groups, the real gain of a group, measured by training with and
 * without it, against what should predict it: the mean Q of its pairs, its probe influence and
 * its first-order estimate.
 *
 * gain(g) = metric(DPO on the pool) − metric(DPO on the pool without g), both the run's final
 * DPO recipe (§3.4 step 6, `finalDpoOptions`: from the SFT model, the run's epochs, lr, batch and seed) on the
 * iteration's whole candidate pool, the metric the run's evaluation (one greedy dialogue per test
 * task). The pool is the set every group belongs to, so "with" is one model shared by every
 * group and only "without" differs; the selected set would make "with" differ per group.
 *
 * Removing a group also reshuffles the DPO batches, and on the simulated model a few per cent of
 * batch orders land in a much worse model whatever the data (docs/influence.md). So each metric
 * is the mean over `repeats` DPO seeds, the same seeds with and without the group (common random
 * numbers); the first is the run's own (run seed + t).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSvg } from '../engine/report/plot.ts';
import { utilitySpec } from '../engine/report/utility-plot.ts';
import { writeFileAtomic, writeJsonAtomic } from '../engine/storage/files.ts';
import { spearman } from '../engine/influence/correlation.ts';
import { firstOrderInfluence, validationSurrogate } from '../engine/influence/first-order.ts';
import { keyedSeed, Rng } from '../engine/base/rng.ts';
import { asSimParams } from '../engine/sim/params.ts';
import { InputError } from '../scenarios/errors.ts';
import type { PreferenceExample } from '../engine/base/trainer.ts';
import { asExample, candidatePool, finalDpoOptions, FIRST_ORDER_FILE, iterDir, scoreTestTasks, type RunEnv, type PairLine } from './run-stages.ts';

export const DEFAULT_UTILITY_SAMPLE = 8;
export const DEFAULT_UTILITY_REPEATS = 5;

export interface UtilityOptions {
  iteration: number;
  /** Groups measured (all of them when there are fewer). */
  sample: number;
  /** Keys the sample of groups. */
  seed: number;
  /** DPO seeds each metric is averaged over (default DEFAULT_UTILITY_REPEATS). */
  repeats?: number;
  /** Progress: called after each DPO-and-evaluate, `done` of `total`. */
  onModel?: (done: number, total: number) => void;
}

export interface UtilityGroup {
  id: number;
  members: number[];
  /** Mean `chosen_value` (Q) of the group's pairs. */
  meanQ: number;
  /** Probe influence F_g − F(warm) (influence.json). */
  influence: number;
  /** First-order estimate I₁ (influence.json, or computed when the run predates it). */
  firstOrder: number;
  /** Test metric of DPO on the pool without the group, the mean over the DPO seeds. */
  metricWithout: number;
  /** The same, per DPO seed. */
  metricWithoutBySeed: number[];
  /** metricWith − metricWithout. */
  gain: number;
}

/** Spearman's ρ of the gain with each predictor over the sampled groups; null when undefined (a constant side). */
export interface UtilityCorrelations {
  q: number | null;
  influence: number | null;
  firstOrder: number | null;
}

export interface UtilityReport {
  iteration: number;
  /** "With" trains on the whole candidate pool; "without" on the pool minus the group. */
  base: 'pool';
  pairs: number;
  groupsTotal: number;
  sample: { size: number; seed: number };
  testTasks: number;
  /** Test metric of the SFT model (no DPO), for scale. */
  metricSft: number;
  /** DPO seeds: the run's own, then keyed ones. */
  dpoSeeds: number[];
  /** Test metric of DPO on the whole pool, the mean over the DPO seeds. */
  metricWith: number;
  /** The same, per DPO seed: its spread is the noise floor of a gain. */
  metricWithBySeed: number[];
  firstOrderSource: typeof FIRST_ORDER_FILE | 'computed';
  groups: UtilityGroup[];
  spearman: UtilityCorrelations;
}

export interface InfluenceFile {
  groups: { id: number; members: number[]; influence: number; firstOrder?: number }[];
}

/** The in-process simulated model: the check retrains with exact gradients, so it needs one. */
export function simOf(env: RunEnv): NonNullable<RunEnv['sim']> {
  if (!env.sim) throw new InputError('the utility check retrains the model many times and runs on the simulated model in process only (this run used an inference server)');
  return env.sim;
}

/** First-order estimates per group: first-order.json, or influence.json in runs that kept them there. */
function storedFirstOrder(dir: string, influence: InfluenceFile): (number | undefined)[] {
  const file = join(dir, FIRST_ORDER_FILE);
  if (!existsSync(file)) return influence.groups.map((g) => g.firstOrder);
  const byId = new Map((JSON.parse(readFileSync(file, 'utf8')) as InfluenceFile).groups.map((g) => [g.id, g.firstOrder]));
  return influence.groups.map((g) => byId.get(g.id));
}
const rho = (x: number[], y: number[]) => {
  const r = spearman(x, y);
  return Number.isNaN(r) ? null : r;
};

/** The run's evaluation (§3.4; actors/run-stages.ts `scoreTestTasks`), unmetered: the mean test metric. */
export async function testMetric(env: RunEnv, handle: unknown): Promise<number> {
  return (await scoreTestTasks(env, env.models.trainer.backendFor(handle))).metric;
}

/**
 * The test metric of the run's final DPO (actors/run-stages.ts `finalDpoOptions`, from the SFT
 * model) on `pairs` with DPO seed `seed`, through the run's trainer.
 */
export async function dpoTestMetric(env: RunEnv, sftModel: unknown, pairs: readonly PreferenceExample[], seed: number): Promise<number> {
  const trainer = env.models.trainer;
  const model = await trainer.dpo(sftModel, pairs, finalDpoOptions(env.config, pairs.length, seed));
  try {
    return await testMetric(env, model);
  } finally {
    await trainer.release?.(model);
  }
}

/**
 * Each probe group's first-order estimate: first-order.json, or computed as the probes stage
 * does for a run written before it existed.
 */
export async function groupFirstOrder(
  env: RunEnv,
  o: { dir: string; influence: InfluenceFile; pairs: readonly PreferenceExample[]; sftModel: unknown },
): Promise<{ values: number[]; source: typeof FIRST_ORDER_FILE | 'computed' }> {
  const stored = storedFirstOrder(o.dir, o.influence);
  if (stored.every((x) => typeof x === 'number')) return { values: stored as number[], source: FIRST_ORDER_FILE };
  const sim = simOf(env);
  const warm = asSimParams(env.models.load(join(o.dir, 'warm')));
  const { scenario, seed } = env.config;
  const surrogate = await validationSurrogate(sim.trainer.backendFor(warm), { scenario, tasks: env.tasks.validation, seed });
  const values = firstOrderInfluence(sim.world, { warm, ref: asSimParams(o.sftModel), pairs: o.pairs, groups: o.influence.groups, beta: scenario.reward.dpoBeta, surrogate });
  return { values, source: 'computed' };
}

/** The DPO seeds of the repeats: the run's own (run seed + t), then keyed ones. */
export function dpoSeeds(runSeed: number, t: number, repeats: number): number[] {
  return Array.from({ length: repeats }, (_, k) => (k === 0 ? runSeed + t : keyedSeed(runSeed, t, 'utility-dpo', k)));
}

/** The seeded sample of group ids, ascending. */
export function sampleGroups(ids: readonly number[], size: number, seed: number, t: number): number[] {
  return Rng.keyed(seed, 'utility-sample', t)
    .shuffle([...ids])
    .slice(0, size)
    .sort((a, b) => a - b);
}

export async function analyzeUtility(env: RunEnv, opts: UtilityOptions): Promise<UtilityReport> {
  const t = opts.iteration;
  const dir = iterDir(env, t);
  const pool = candidatePool(env, t);
  const influence = JSON.parse(readFileSync(join(dir, 'influence.json'), 'utf8')) as InfluenceFile;
  simOf(env); // refuses a run over an inference server before any retraining starts
  const sftModel = env.models.load(join(dir, 'sft'));
  const pairs = pool.map(asExample);
  const { values: firstOrder, source } = await groupFirstOrder(env, { dir, influence, pairs, sftModel });

  const chosen = sampleGroups(
    influence.groups.map((g) => g.id),
    opts.sample,
    opts.seed,
    t,
  );
  const repeats = opts.repeats ?? DEFAULT_UTILITY_REPEATS;
  if (!Number.isInteger(repeats) || repeats < 1) throw new RangeError(`repeats must be a positive integer, got ${repeats}`);
  const seeds = dpoSeeds(env.config.seed, t, repeats);
  const total = (chosen.length + 1) * repeats;
  let done = 0;
  const bySeed = async (train: readonly PreferenceExample[]) => {
    const out: number[] = [];
    for (const seed of seeds) {
      out.push(await dpoTestMetric(env, sftModel, train, seed));
      opts.onModel?.(++done, total);
    }
    return out;
  };
  const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const metricSft = await testMetric(env, sftModel);
  const metricWithBySeed = await bySeed(pairs);
  const metricWith = mean(metricWithBySeed);
  const groups: UtilityGroup[] = [];
  for (const id of chosen) {
    const index = influence.groups.findIndex((g) => g.id === id);
    const g = influence.groups[index] as InfluenceFile['groups'][number];
    const out = new Set(g.members);
    const metricWithoutBySeed = await bySeed(pairs.filter((_, i) => !out.has(i)));
    const metricWithout = mean(metricWithoutBySeed);
    groups.push({
      id,
      members: [...g.members],
      meanQ: g.members.reduce((s, i) => s + (pool[i] as PairLine).chosen_value, 0) / g.members.length,
      influence: g.influence,
      firstOrder: firstOrder[index] as number,
      metricWithout,
      metricWithoutBySeed,
      gain: metricWith - metricWithout,
    });
  }
  const gains = groups.map((g) => g.gain);
  return {
    iteration: t,
    base: 'pool',
    pairs: pool.length,
    groupsTotal: influence.groups.length,
    sample: { size: groups.length, seed: opts.seed },
    testTasks: env.tasks.test.length,
    metricSft,
    dpoSeeds: seeds,
    metricWith,
    metricWithBySeed,
    firstOrderSource: source,
    groups,
    spearman: {
      q: rho(gains, groups.map((g) => g.meanQ)),
      influence: rho(gains, groups.map((g) => g.influence)),
      firstOrder: rho(gains, groups.map((g) => g.firstOrder)),
    },
  };
}

const num = (x: number, digits = 4) => (Object.is(x, -0) ? 0 : x).toFixed(digits);
const corr = (x: number | null) => (x === null ? 'undefined (a constant column)' : num(x, 3));

export function utilityMarkdown(r: UtilityReport, metric: string): string {
  const lines = [
    `# Data utility, iteration ${r.iteration}`,
    '',
    `gain = test ${metric} of DPO on the whole candidate pool (${r.pairs} pairs) minus that of DPO on the pool without the group;`,
    `both the run's final DPO recipe from the SFT model, ${r.testTasks} test tasks at T = 0, each the mean over ${r.dpoSeeds.length} DPO seed(s)`,
    `(the same seeds with and without; batch order alone moves the metric, see the spread below).`,
    `${r.groups.length} of ${r.groupsTotal} probe groups (sample seed ${r.sample.seed}).`,
    `Test ${metric}: SFT model ${num(r.metricSft)}, DPO on the pool ${num(r.metricWith)} (per seed: ${r.metricWithBySeed.map((x) => num(x, 2)).join(', ')}).` +
      (r.firstOrderSource === 'computed' ? ' First-order estimates computed here (the run predates them).' : ''),
    '',
    `| group | pairs | gain | ${metric} without | mean Q | probe influence | first-order |`,
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...r.groups.map((g) => `| ${g.id} | ${g.members.length} | ${num(g.gain)} | ${num(g.metricWithout)} | ${num(g.meanQ)} | ${num(g.influence)} | ${g.firstOrder.toExponential(3)} |`),
    '',
    'Spearman rank correlation of the gain with:',
    '',
    '| predictor | ρ |',
    '|---|---:|',
    `| mean Q | ${corr(r.spearman.q)} |`,
    `| probe influence | ${corr(r.spearman.influence)} |`,
    `| first-order | ${corr(r.spearman.firstOrder)} |`,
    '',
  ];
  return lines.join('\n');
}

/** Runs the analysis and writes `iter-t/utility.json` and `iter-t/utility.md`; returns the Markdown. */
export async function writeUtility(env: RunEnv, opts: UtilityOptions): Promise<{ report: UtilityReport; markdown: string }> {
  const report = await analyzeUtility(env, opts);
  const markdown = utilityMarkdown(report, env.config.scenario.metric);
  writeJsonAtomic(join(iterDir(env, opts.iteration), 'utility.json'), report);
  writeFileAtomic(join(iterDir(env, opts.iteration), 'utility.md'), markdown);
  const c = report.spearman;
  const svg = await renderSvg(
    utilitySpec(
      report.groups.map((g) => ({ group: g.id, gain: g.gain, meanQ: g.meanQ, influence: g.influence, firstOrder: g.firstOrder })),
      env.config.scenario.metric,
      { meanQ: c.q, influence: c.influence, firstOrder: c.firstOrder },
    ),
  );
  writeFileAtomic(join(iterDir(env, opts.iteration), 'utility.svg'), svg);
  return { report, markdown };
}
