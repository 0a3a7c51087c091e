/**
 * The numbers of a comparison: what each (configuration, seed) run produced per iteration, and
 * per (configuration, iteration) their summary over seeds. `results.json` holds both.
 */
import { METERS, type MeterName, type MeterReading } from '../budget.ts';
import type { BaseSizes, Calibration, Configuration } from './plan.ts';
import type { PlantedKept } from '../influence/plant.ts';
import { mean, meanCi95, type MeanCi } from './stats.ts';

/** One iteration of one run. Meter readings are that iteration's spend, not cumulative. */
export interface IterationResult {
  iteration: number;
  /** Test metric: mean over the test tasks. */
  metric: number;
  /** Mean tokens per test dialogue. */
  meanTokens: number;
  testTasks: number;
  pairsCandidate: number;
  pairsKept: number;
  /** Influence probes run (groups; the warm baseline not counted). */
  groups: number;
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

/** One (configuration, iteration) over the seeds. */
export interface SummaryRow {
  configuration: string;
  iteration: number;
  seeds: number;
  metric: MeanCi;
  meanTokens: number;
  pairsCandidate: number;
  pairsKept: number;
  groups: number;
  /** Mean spend per meter over the seeds. */
  meters: Record<MeterName, MeterMean>;
  /** Mean Q + influence tokens. */
  budgetTokens: number;
  /** Mean over seeds of influence tokens / (Q + influence tokens). */
  influenceShare: number;
}

export interface CompareResults {
  dits_version: string;
  preset: string;
  scenario: string;
  metric: string;
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

/** Every configuration's rows, in configuration order then iteration order. */
export function summarize(configurations: readonly Configuration[], runs: readonly RunResult[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const c of configurations) {
    const mine = runs.filter((r) => r.configuration === c.name);
    if (mine.length === 0) continue;
    const iterations = Math.min(...mine.map((r) => r.iterations.length));
    for (let t = 0; t < iterations; t++) {
      const its = mine.map((r) => r.iterations[t] as IterationResult);
      const avg = (f: (i: IterationResult) => number) => mean(its.map(f));
      rows.push({
        configuration: c.name,
        iteration: t,
        seeds: its.length,
        metric: meanCi95(its.map((i) => i.metric)),
        meanTokens: avg((i) => i.meanTokens),
        pairsCandidate: avg((i) => i.pairsCandidate),
        pairsKept: avg((i) => i.pairsKept),
        groups: avg((i) => i.groups),
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
