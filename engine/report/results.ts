/**
 * The numbers of a comparison: what each (configuration, seed) run produced per iteration, and
 * per (configuration, iteration) their summary over seeds: paired per seed with the reference
 * configuration and with the run's own SFT model, the batch-order noise the DPO seeds show, and
 * the collapses. `results.json` holds both.
 */
import { METERS, type MeterName, type MeterReading } from '../base/budget.ts';
import type { BaseSizes, Calibration, Configuration } from './plan.ts';
import type { PlantedKept } from '../influence/plant.ts';
import type { ExpectedResult, ModelScore } from '../base/eval-result.ts';
import type { PairStats } from '../influence/pair-stats.ts';
import { mean, meanCi95, pooledSd, wilson95, type MeanCi, type Proportion } from './stats.ts';

/** One iteration of one run. Meter readings are that iteration's spend, not cumulative. */
export interface IterationResult {
  iteration: number;
  /** Test metric: mean over the test tasks of one greedy dialogue each, then over the DPO seeds. */
  metric: number;
  /** Mean tokens per test dialogue, mean over the DPO seeds. */
  meanTokens: number;
  testTasks: number;
  /** Each DPO seed's model, in seed order (the first is M_t, which the next iteration starts from). */
  perDpoSeed: ModelScore[];
  /** The SFT model every DPO seed started from. */
  sft: ModelScore;
  /** Null when the run did not measure it (or ran over a server). */
  expected: ExpectedResult | null;
  pairsCandidate: number;
  pairsKept: number;
  /** Influence probes run (groups; the warm baseline not counted). */
  groups: number;
  /** Optimizer steps of each final DPO. */
  dpoSteps: number;
  /** The pairs with no DPO gradient at the SFT model; null over a server. */
  pairStats: PairStats | null;
  meters: Record<MeterName, MeterReading>;
  /** Planted pairs and those the selection kept, per kind (runs with `--plant` only). */
  planted?: PlantedKept;
}

export interface RunResult {
  configuration: string;
  seed: number;
  taskSeed: number;
  validationTaskSeed: number;
  /** The run folder, relative to the comparison folder. */
  dir: string;
  iterations: IterationResult[];
}

export interface MeterMean {
  calls: number;
  tokens: number;
  scoringCalls: number;
}

/**
 * A paired difference over seeds: per seed, this configuration's run value minus the other's
 * (another configuration on the same seed: the same test tasks, and in the selection ablation
 * the same SFT model and candidate pool), or minus its own SFT model's. The MeanCi fields are
 * of the per-seed differences.
 */
export interface PairedDifference extends MeanCi {
  /** What is subtracted: `sft`, or the reference configuration's name. */
  minus: string;
  perSeed: { seed: number; difference: number }[];
  /** The 95% interval lies wholly above or below 0; null without an interval (one seed). */
  excludesZero: boolean | null;
  /** The SD batch order alone gives one seed's difference: √(a² + b²) of the two run-mean SDs; null with one DPO seed. */
  batchOrderSdPerSeed: number | null;
  /** The SD batch order alone gives the mean difference: batchOrderSdPerSeed / √(seeds). */
  batchOrderSd: number | null;
  /**
   * For a difference whose interval excludes 0: batchOrderSd < |mean| / 3, so batch order alone
   * cannot have made the effect. Null otherwise, or when unmeasured.
   */
  batchOrderBelowThird: boolean | null;
}

/** What batch order alone does to a configuration's metric, from its runs' DPO seeds. */
export interface BatchOrderNoise {
  /** SD of one DPO model's metric across DPO seeds, pooled over the runs (root mean of the per-run variances). */
  perModel: number;
  /** SD of a run's mean over its DPO seeds: perModel / √(DPO seeds). */
  runMean: number;
}

/** One metric (the greedy test metric, or the expected one) of a (configuration, iteration) over seeds. */
export interface MeasureSummary {
  /** The runs' values (means over their DPO seeds). */
  metric: MeanCi;
  /** The runs' SFT models. */
  sft: MeanCi;
  gainOverSft: PairedDifference;
  /** Null with one DPO seed per run. */
  batchOrder: BatchOrderNoise | null;
  /** Null for the reference itself. */
  vsReference: PairedDifference | null;
}

/** One (configuration, iteration) over the seeds; the MeasureSummary fields are of the greedy test metric. */
export interface SummaryRow extends MeasureSummary {
  configuration: string;
  iteration: number;
  seeds: number;
  dpoSeeds: number;
  /** The expected metric at a temperature, when the runs measured it. */
  expected: (MeasureSummary & { temperature: number }) | null;
  /** DPO models (seeds × DPO seeds) whose test metric is more than COLLAPSE_MARGIN below their SFT model's. */
  collapse: Proportion;
  /** Mean over seeds of the zero-gradient shares of the candidates and of the selected pairs; null over a server. */
  zeroGradientShare: { candidates: number | null; selected: number | null } | null;
  meanTokens: number;
  pairsCandidate: number;
  pairsKept: number;
  groups: number;
  /** Optimizer steps of each final DPO, mean over seeds. */
  dpoSteps: number;
  /** Mean spend per meter over the seeds. */
  meters: Record<MeterName, MeterMean>;
  /** Mean Q + influence tokens. */
  budgetTokens: number;
  /** Mean over seeds of influence tokens / (Q + influence tokens). */
  influenceShare: number;
}

/** A DPO model collapsed when its test metric is more than this below its SFT model's (absolute). */
export const COLLAPSE_MARGIN = 0.1;

export interface CompareResults {
  dits_version: string;
  preset: string;
  scenario: string;
  /** Where the scenario came from: `built-in scenarios/builtin/<name>.yaml` or the file given. */
  scenarioSource: string;
  /** How every run's tasks are made (generated, seeded per seed). */
  /** Generated tasks (seed k draws with task seed k, its validation tasks with k + the offset), or one dataset file every seed shares. */
  tasks: { generator: string; validationSeedOffset: number } | { file: string; format: string };
  metric: string;
  /** The configuration every other is paired against. */
  reference: string;
  /** The sampling temperature of the expected metric; null when not measured. */
  expectedTemperature: number | null;
  seeds: number[];
  base: BaseSizes;
  shares: number[];
  /** How the budget sweep's settings were reached (absent when no sweep ran). */
  calibration: Calibration | null;
  configurations: Configuration[];
  runs: RunResult[];
  summary: SummaryRow[];
}

/** Per-iteration spend from cumulative readings after each iteration. */
export function iterationSpend(cumulative: readonly Record<MeterName, MeterReading>[]): Record<MeterName, MeterReading>[] {
  return cumulative.map((after, t) => {
    const before = t > 0 ? cumulative[t - 1] : undefined;
    return Object.fromEntries(
      METERS.map((m) => [
        m,
        {
          calls: after[m].calls - (before?.[m].calls ?? 0),
          tokens: after[m].tokens - (before?.[m].tokens ?? 0),
          scoringCalls: after[m].scoringCalls - (before?.[m].scoringCalls ?? 0),
        },
      ]),
    ) as Record<MeterName, MeterReading>;
  });
}

export function influenceShare(meters: Record<MeterName, MeterReading>): number {
  const total = meters.q.tokens + meters.influence.tokens;
  return total === 0 ? 0 : meters.influence.tokens / total;
}

/** One run's values of one metric: its mean over the DPO seeds, each DPO seed's, and its SFT model's. */
interface RunValues {
  seed: number;
  value: number;
  perDpoSeed: number[];
  sft: number;
}

const testValues = (r: RunResult, i: IterationResult): RunValues => ({ seed: r.seed, value: i.metric, perDpoSeed: i.perDpoSeed.map((s) => s.metric), sft: i.sft.metric });

const expectedValues = (r: RunResult, i: IterationResult): RunValues | null =>
  i.expected ? { seed: r.seed, value: i.expected.metric, perDpoSeed: i.expected.perDpoSeed, sft: i.expected.sft } : null;

function batchOrderNoise(runs: readonly RunValues[]): BatchOrderNoise | null {
  const perModel = pooledSd(runs.map((r) => r.perDpoSeed));
  if (perModel === undefined) return null;
  return { perModel, runMean: perModel / Math.sqrt(mean(runs.map((r) => r.perDpoSeed.length))) };
}

/** a − b per seed the two share; `batchOrderSdPerSeed` is the noise batch order gives one seed's difference. */
export function pairedDifference(
  minus: string,
  a: readonly { seed: number; value: number }[],
  b: readonly { seed: number; value: number }[],
  batchOrderSdPerSeed: number | null,
): PairedDifference {
  const other = new Map(b.map((v) => [v.seed, v.value]));
  const perSeed = a.filter((v) => other.has(v.seed)).map((v) => ({ seed: v.seed, difference: v.value - (other.get(v.seed) as number) }));
  const ci = meanCi95(perSeed.map((d) => d.difference));
  const excludesZero = ci.lo === null || ci.hi === null ? null : ci.lo > 0 || ci.hi < 0;
  const batchOrderSd = batchOrderSdPerSeed === null ? null : batchOrderSdPerSeed / Math.sqrt(perSeed.length);
  const batchOrderBelowThird = excludesZero === true && batchOrderSd !== null ? batchOrderSd < Math.abs(ci.mean) / 3 : null;
  return { minus, ...ci, perSeed, excludesZero, batchOrderSdPerSeed, batchOrderSd, batchOrderBelowThird };
}

/** The summary of one metric of a configuration's runs, paired with its SFT models and with the reference's runs (null for the reference itself). */
function measure(mine: readonly RunValues[], reference: { name: string; runs: readonly RunValues[] } | null): MeasureSummary {
  const batchOrder = batchOrderNoise(mine);
  const own = batchOrder?.runMean ?? null;
  const theirs = reference ? (batchOrderNoise(reference.runs)?.runMean ?? null) : null;
  // The SFT model is trained and evaluated once per seed: batch order does not move it.
  const gainOverSft = pairedDifference('sft', mine, mine.map((r) => ({ seed: r.seed, value: r.sft })), own);
  return {
    metric: meanCi95(mine.map((r) => r.value)),
    sft: meanCi95(mine.map((r) => r.sft)),
    gainOverSft,
    batchOrder,
    vsReference: reference ? pairedDifference(reference.name, mine, reference.runs, own !== null && theirs !== null ? Math.hypot(own, theirs) : null) : null,
  };
}

function collapse(runs: readonly IterationResult[]): Proportion {
  const models = runs.flatMap((i) => i.perDpoSeed.map((s) => ({ metric: s.metric, sft: i.sft.metric })));
  return wilson95(models.filter((m) => m.sft - m.metric > COLLAPSE_MARGIN).length, models.length);
}

const meanOrNull = (xs: readonly (number | null)[]) => {
  const known = xs.filter((x): x is number => x !== null);
  return known.length === 0 ? null : mean(known);
};

function zeroGradientShare(runs: readonly IterationResult[]): SummaryRow['zeroGradientShare'] {
  const stats = runs.flatMap((i) => (i.pairStats ? [i.pairStats] : []));
  if (stats.length === 0) return null;
  return {
    candidates: meanOrNull(stats.map((s) => s.zeroGradientShare)),
    selected: meanOrNull(stats.map((s) => (s.selected === 0 ? null : s.selectedZeroGradient / s.selected))),
  };
}

/** Iteration t of each of the runs that have it. */
const atIteration = (runs: readonly RunResult[], t: number) => runs.flatMap((r) => (r.iterations[t] ? [{ r, i: r.iterations[t] as IterationResult }] : []));

/** Every configuration's rows, in configuration order then iteration order; paired differences against `reference`. */
export function summarize(configurations: readonly Configuration[], runs: readonly RunResult[], reference: string): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const referenceRuns = runs.filter((r) => r.configuration === reference);
  for (const c of configurations) {
    const mine = runs.filter((r) => r.configuration === c.name);
    if (mine.length === 0) continue;
    const iterations = Math.min(...mine.map((r) => r.iterations.length));
    for (let t = 0; t < iterations; t++) {
      const at = atIteration(mine, t);
      const its = at.map((x) => x.i);
      const against = (values: (r: RunResult, i: IterationResult) => RunValues | null) => {
        const ref = atIteration(referenceRuns, t).flatMap((x) => values(x.r, x.i) ?? []);
        return c.name === reference || ref.length === 0 ? null : { name: reference, runs: ref };
      };
      const expected = at.map((x) => expectedValues(x.r, x.i));
      const temperature = its[0]?.expected?.temperature;
      const avg = (f: (i: IterationResult) => number) => mean(its.map(f));
      rows.push({
        configuration: c.name,
        iteration: t,
        seeds: its.length,
        dpoSeeds: Math.max(...its.map((i) => i.perDpoSeed.length)),
        ...measure(at.map((x) => testValues(x.r, x.i)), against(testValues)),
        expected:
          temperature !== undefined && expected.every((e) => e !== null)
            ? { temperature, ...measure(expected as RunValues[], against(expectedValues)) }
            : null,
        collapse: collapse(its),
        zeroGradientShare: zeroGradientShare(its),
        meanTokens: avg((i) => i.meanTokens),
        pairsCandidate: avg((i) => i.pairsCandidate),
        pairsKept: avg((i) => i.pairsKept),
        groups: avg((i) => i.groups),
        dpoSteps: avg((i) => i.dpoSteps),
        meters: Object.fromEntries(
          METERS.map((m) => [m, { calls: avg((i) => i.meters[m].calls), tokens: avg((i) => i.meters[m].tokens), scoringCalls: avg((i) => i.meters[m].scoringCalls) }]),
        ) as Record<MeterName, MeterMean>,
        budgetTokens: avg((i) => i.meters.q.tokens + i.meters.influence.tokens),
        influenceShare: avg((i) => influenceShare(i.meters)),
      });
    }
  }
  return rows;
}
