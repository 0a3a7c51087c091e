/** A small comparison's results, made by hand: every configuration of the preset over seeds 0 and 1. */
import type { MeterName, MeterReading } from '../../engine/budget.ts';
import { budgetConfiguration, calibrate, selectionConfigurations, type BaseSizes } from '../../engine/report/plan.ts';
import { summarize, type CompareResults, type RunResult } from '../../engine/report/results.ts';

export const BASE: BaseSizes = { iterations: 1, sftTasks: 8, sftSamples: 2, searchTasks: 10, validationTasks: 10, testTasks: 20, groupSize: 5, alpha: 0.5 };

const meters = (q: number, influence: number): Record<MeterName, MeterReading> => ({
  q: { calls: q / 10, tokens: q, scoringCalls: 0 },
  influence: { calls: influence / 10, tokens: influence, scoringCalls: 0 },
  sft: { calls: 50, tokens: 500, scoringCalls: 0 },
  eval: { calls: 40, tokens: 800, scoringCalls: 0 },
});

export function fixtureResults(seeds = [0, 1]): CompareResults {
  const calibration = calibrate([{ qTokens: 10_000, influenceTokens: 6_000, pairs: 30, groups: 6, searchTasks: 10, validationTasks: 10 }]);
  const configurations = [...selectionConfigurations(BASE), ...[0, 0.5].map((s) => budgetConfiguration(s, calibration, BASE))];
  const runs: RunResult[] = configurations.flatMap((c, i) =>
    seeds.map((seed) => ({
      configuration: c.name,
      seed,
      taskSeed: seed,
      validationTaskSeed: seed + 1_000_000,
      dir: `runs/${c.name}-seed${seed}`,
      iterations: [
        {
          iteration: 0,
          // Configuration i scores 0.5 + 0.05·i, seed 1 a tenth higher.
          metric: 0.5 + 0.05 * i + 0.1 * seed,
          meanTokens: 40 + i,
          testTasks: 20,
          pairsCandidate: 30,
          pairsKept: c.name === 'full' ? 30 : 15,
          groups: 6,
          meters: meters(10_000, c.share === 0 ? 100 : 6_000),
        },
      ],
    })),
  );
  return {
    dits_version: 'test',
    preset: 'paper-ablation',
    scenario: 'hotpotqa',
    metric: 'f1',
    seeds,
    base: BASE,
    shares: [0, 0.5],
    calibration,
    configurations,
    runs,
    summary: summarize(configurations, runs),
  };
}
