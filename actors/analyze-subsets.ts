/**
 * `dits analyze utility --method subsets` (docs/influence.md §6): ground-truth group values by
 * regression over random α-subsets, the DITS paper's Figure 2(a) done with many models instead
 * of one removal per group. For each of R subsets of the iteration's probe groups, the run's
 * final DPO recipe from the SFT model on the subset's pairs and the test metric; then the
 * groups' values by least squares (engine/influence/subset-values.ts), and how well they agree
 * with mean Q, probe influence and the first-order estimate.
 *
 * Every subset trains with the run's own DPO seed (run seed + t): the recipe is the run's, only
 * the data differs, and batch-order noise lands in the regression's residual, which the R² and
 * the split-half check measure.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../engine/storage/files.ts';
import { bootstrapSpearman, drawSubsets, fitGroupValues, splitHalf, subsetSize, type BootstrapRho, type SplitHalf } from '../engine/influence/subset-values.ts';
import { asExample, candidatePool, FIRST_ORDER_FILE, iterDir, type RunEnv } from './run-stages.ts';
import { dpoTestMetric, groupFirstOrder, simOf, testMetric, type InfluenceFile } from './analyze.ts';

export const DEFAULT_SUBSETS = 200;
export const DEFAULT_SUBSET_ALPHA = 0.5;
export const DEFAULT_BOOTSTRAP = 2000;

export interface SubsetUtilityOptions {
  iteration: number;
  /** R: subsets trained. */
  subsets: number;
  /** Share of the groups in each subset. */
  alpha: number;
  /** Keys the subsets and the bootstrap. */
  seed: number;
  /** Bootstrap resamples of the correlation intervals (default DEFAULT_BOOTSTRAP). */
  bootstrap?: number;
  /** Progress: called after each subset's DPO and evaluation, `done` of `total`. */
  onModel?: (done: number, total: number) => void;
}

export interface SubsetGroup {
  id: number;
  pairs: number;
  /** Subsets that held the group. */
  included: number;
  /** θ_g: the fitted value (test metric per inclusion, relative to the average group). */
  value: number;
  meanQ: number;
  influence: number;
  firstOrder: number;
}

export interface SubsetUtilityReport {
  iteration: number;
  method: 'subsets';
  pairs: number;
  groupsTotal: number;
  testTasks: number;
  metricSft: number;
  design: { subsets: number; alpha: number; groupsPerSubset: number; seed: number; dpoSeed: number };
  /** The test metric over the subsets: its spread is what there is to explain. */
  metrics: { mean: number; sd: number; min: number; max: number; distinct: number };
  regression: { intercept: number; lambda: number; r2: number | null; adjustedR2: number | null };
  splitHalf: SplitHalf;
  firstOrderSource: typeof FIRST_ORDER_FILE | 'computed';
  bootstrap: { resamples: number };
  /** Spearman's ρ of the fitted values with each predictor over the groups, with a 95% bootstrap interval. */
  spearman: { q: BootstrapRho; influence: BootstrapRho; firstOrder: BootstrapRho };
  groups: SubsetGroup[];
  /** Each subset's group ids, pair count and test metric. */
  subsets: { groups: number[]; pairs: number; metric: number }[];
}

function describe(xs: readonly number[]): SubsetUtilityReport['metrics'] {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { mean, sd, min: Math.min(...xs), max: Math.max(...xs), distinct: new Set(xs).size };
}

export async function analyzeUtilitySubsets(env: RunEnv, opts: SubsetUtilityOptions): Promise<SubsetUtilityReport> {
  const t = opts.iteration;
  const dir = iterDir(env, t);
  simOf(env); // refuses a run over an inference server before any retraining starts
  if (!Number.isInteger(opts.subsets) || opts.subsets < 4) throw new RangeError(`subsets must be an integer of at least 4 (the split-half check needs two halves of 2), got ${opts.subsets}`);
  const pool = candidatePool(env, t);
  const influence = JSON.parse(readFileSync(join(dir, 'influence.json'), 'utf8')) as InfluenceFile;
  const G = influence.groups.length;
  const k = subsetSize(G, opts.alpha);
  const sftModel = env.models.load(join(dir, 'sft'));
  const pairs = pool.map(asExample);
  const firstOrder = await groupFirstOrder(env, { dir, influence, pairs, sftModel });

  const subsets = drawSubsets(G, opts.subsets, opts.alpha, [opts.seed, 'utility-subsets', t]);
  const dpoSeed = env.config.seed + t;
  const metricSft = await testMetric(env, sftModel);
  const measured: SubsetUtilityReport['subsets'] = [];
  for (const subset of subsets) {
    // Pool order, as the run's DPO gets its pairs; the trainer shuffles them by the DPO seed.
    const members = subset.flatMap((g) => (influence.groups[g] as InfluenceFile['groups'][number]).members).sort((a, b) => a - b);
    const metric = await dpoTestMetric(env, sftModel, members.map((i) => pairs[i] as (typeof pairs)[number]), dpoSeed);
    measured.push({ groups: subset.map((g) => (influence.groups[g] as { id: number }).id), pairs: members.length, metric });
    opts.onModel?.(measured.length, subsets.length);
  }
  const metrics = measured.map((m) => m.metric);
  const fit = fitGroupValues(G, subsets, metrics);
  const included = new Array<number>(G).fill(0);
  for (const s of subsets) for (const g of s) included[g] = (included[g] as number) + 1;
  const groups: SubsetGroup[] = influence.groups.map((g, i) => ({
    id: g.id,
    pairs: g.members.length,
    included: included[i] as number,
    value: fit.values[i] as number,
    meanQ: g.members.reduce((s, m) => s + (pool[m] as { chosen_value: number }).chosen_value, 0) / g.members.length,
    influence: g.influence,
    firstOrder: firstOrder.values[i] as number,
  }));
  const resamples = opts.bootstrap ?? DEFAULT_BOOTSTRAP;
  const values = groups.map((g) => g.value);
  const against = (name: 'meanQ' | 'influence' | 'firstOrder') => bootstrapSpearman(values, groups.map((g) => g[name]), resamples, [opts.seed, 'utility-subsets', t, name]);
  return {
    iteration: t,
    method: 'subsets',
    pairs: pool.length,
    groupsTotal: G,
    testTasks: env.tasks.test.length,
    metricSft,
    design: { subsets: subsets.length, alpha: opts.alpha, groupsPerSubset: k, seed: opts.seed, dpoSeed },
    metrics: describe(metrics),
    regression: { intercept: fit.intercept, lambda: fit.lambda, r2: fit.r2, adjustedR2: fit.adjustedR2 },
    splitHalf: splitHalf(G, subsets, metrics),
    firstOrderSource: firstOrder.source,
    bootstrap: { resamples },
    spearman: { q: against('meanQ'), influence: against('influence'), firstOrder: against('firstOrder') },
    groups,
    subsets: measured,
  };
}

/** Below this Spearman-Brown reliability the summary warns that the values are mostly noise. */
const LOW_RELIABILITY = 0.5;

const num = (x: number | null, digits = 3) => (x === null ? 'undefined' : (Object.is(x, -0) ? 0 : x).toFixed(digits));
const interval = (b: BootstrapRho) =>
  b.rho === null ? 'undefined (a constant column)' : `${num(b.rho)} [${num(b.lo)}, ${num(b.hi)}]${b.defined < b.resamples ? ` (${b.defined}/${b.resamples} resamples defined)` : ''}`;

/** The design, how well the values are determined and the three correlations: what the command prints. */
export function subsetUtilitySummary(r: SubsetUtilityReport, metric: string): string {
  const d = r.design;
  const h = r.splitHalf;
  return [
    `# Data value by random subsets, iteration ${r.iteration}`,
    '',
    `${d.subsets} random subsets of ${d.groupsPerSubset} of the ${r.groupsTotal} probe groups (α = ${d.alpha}, seed ${d.seed}; ${r.pairs} candidate pairs); ` +
      `each trained with the run's final DPO recipe from the SFT model (DPO seed ${d.dpoSeed}) and scored on ${r.testTasks} test tasks at T = 0.`,
    `Value θ_g: least-squares coefficient of the group's inclusion in the test ${metric} (intercept, ridge λ = ${r.regression.lambda.toExponential(1)}): ` +
      'the metric one inclusion adds, relative to the average group (the values sum to 0).',
    '',
    `Test ${metric}: SFT model ${num(r.metricSft, 4)}; over the subsets mean ${num(r.metrics.mean, 4)}, sd ${num(r.metrics.sd, 4)}, ` +
      `range ${num(r.metrics.min, 4)}-${num(r.metrics.max, 4)}, ${r.metrics.distinct} distinct values.` +
      (r.firstOrderSource === 'computed' ? ' First-order estimates computed here (the run predates them).' : ''),
    '',
    '| how well the values are determined | |',
    '|---|---:|',
    `| R² (in sample) | ${num(r.regression.r2)} |`,
    `| adjusted R² (${r.groupsTotal - 1} group contrasts) | ${num(r.regression.adjustedR2)} |`,
    `| split half: Spearman ρ of the values fitted on ${h.sizes[0]} and on ${h.sizes[1]} subsets | ${num(h.spearman)} |`,
    `| split half: Pearson r (Spearman-Brown reliability at ${d.subsets} subsets) | ${num(h.pearson)} (${num(h.fullReliability)}) |`,
    `| held-out R² (each half's fit on the other half) | ${num(h.heldOutR2)} |`,
    '',
    ...(h.fullReliability === null || h.fullReliability < LOW_RELIABILITY
      ? [
          `The values are poorly determined at ${d.subsets} subsets (reliability ${num(h.fullReliability)}): a correlation with them is attenuated by about ` +
            '√reliability (to nothing at 0 or below), so the intervals below mostly measure noise. More subsets (--subsets) make the values firmer.',
          '',
        ]
      : []),
    `Spearman ρ of the values with each predictor, 95% bootstrap interval over groups (${r.bootstrap.resamples} resamples):`,
    '',
    '| predictor | ρ [95% CI] |',
    '|---|---|',
    `| mean Q | ${interval(r.spearman.q)} |`,
    `| probe influence | ${interval(r.spearman.influence)} |`,
    `| first-order | ${interval(r.spearman.firstOrder)} |`,
    '',
  ].join('\n');
}

/** The summary, then every group's value, highest first. */
export function subsetUtilityMarkdown(r: SubsetUtilityReport, metric: string): string {
  const byValue = [...r.groups].sort((a, b) => b.value - a.value || a.id - b.id);
  return [
    subsetUtilitySummary(r, metric),
    `| group | pairs | in subsets | value θ | mean Q | probe influence | first-order |`,
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...byValue.map((g) => `| ${g.id} | ${g.pairs} | ${g.included} | ${num(g.value, 4)} | ${num(g.meanQ, 4)} | ${num(g.influence, 4)} | ${g.firstOrder.toExponential(3)} |`),
    '',
  ].join('\n');
}

/** Runs the analysis and writes `iter-t/utility-subsets.json` and `iter-t/utility-subsets.md`. */
export async function writeSubsetUtility(env: RunEnv, opts: SubsetUtilityOptions): Promise<{ report: SubsetUtilityReport; summary: string }> {
  const report = await analyzeUtilitySubsets(env, opts);
  const { metric } = env.config.scenario;
  writeJsonAtomic(join(iterDir(env, opts.iteration), 'utility-subsets.json'), report);
  writeFileAtomic(join(iterDir(env, opts.iteration), 'utility-subsets.md'), subsetUtilityMarkdown(report, metric));
  return { report, summary: subsetUtilitySummary(report, metric) };
}
