/** A small comparison's results, made by hand: every configuration of the preset over seeds 0 and 1, two DPO seeds per run. */
import type { MeterName, MeterReading } from '../../engine/base/budget.ts';
import { budgetConfiguration, calibrate, selectionConfigurations, type BaseSizes } from '../../engine/report/plan.ts';
import { summarize, type CompareResults, type RunResult } from '../../engine/report/results.ts';

export const BASE: BaseSizes = { iterations: 1, sftTasks: 8, sftSamples: 2, searchTasks: 10, validationTasks: 10, testTasks: 20, groupSize: 5, alpha: 0.5, dpoSeeds: 2 };

const meters = (q: number, influence: number): Record<MeterName, MeterReading> => ({
  q: { calls: q / 10, tokens: q, scoringCalls: 0 },
  influence: { calls: influence / 10, tokens: influence, scoringCalls: 0 },
  sft: { calls: 50, tokens: 500, scoringCalls: 0 },
  eval: { calls: 40, tokens: 800, scoringCalls: 0 },
});

/**
 * Configuration i on seed s scores m = 0.5 + 0.05·i + 0.1·s + 0.01·i·s (its DPO seeds m ∓ w,
 * w = 0.02·(1 + i), so a run mean's batch-order SD is w), its SFT model 0.6 + 0.1·s, so DPO seed
 * 0 of `full` (i = 0) is 0.12 below SFT: collapsed; its difference to `full` on seed s is
 * 0.05·i + 0.01·i·s. With `expected`, the expected metric is m − 0.1 (DPO seeds m − 0.1 ∓ 0.01),
 * its SFT's 0.5 + 0.1·s.
 */
export function fixtureResults(seeds = [0, 1], opts: { reference?: string; expected?: boolean } = {}): CompareResults {
  const calibration = calibrate([{ qTokens: 10_000, influenceTokens: 6_000, pairs: 30, groups: 6, searchTasks: 10, validationTasks: 10 }]);
  const configurations = [...selectionConfigurations(BASE), ...[0, 0.5].map((s) => budgetConfiguration(s, calibration, BASE))];
  const reference = opts.reference ?? 'full';
  const runs: RunResult[] = configurations.flatMap((c, i) =>
    seeds.map((seed) => {
      const m = 0.5 + 0.05 * i + 0.1 * seed + 0.01 * i * seed;
      const kept = c.name === 'full' ? 30 : 15;
      const w = 0.02 * (1 + i);
      return {
        configuration: c.name,
        seed,
        taskSeed: seed,
        validationTaskSeed: seed + 1_000_000,
        dir: `runs/${c.name}-seed${seed}`,
        iterations: [
          {
            iteration: 0,
            metric: m,
            meanTokens: 40 + i,
            testTasks: 20,
            perDpoSeed: [
              { metric: m - w, meanTokens: 40 + i },
              { metric: m + w, meanTokens: 40 + i },
            ],
            sft: { metric: 0.6 + 0.1 * seed, meanTokens: 38 },
            expected: opts.expected ? { metric: m - 0.1, perDpoSeed: [m - 0.11, m - 0.09], sft: 0.5 + 0.1 * seed, temperature: 0.7, minMass: 1 } : null,
            pairsCandidate: 30,
            pairsKept: kept,
            groups: 6,
            dpoSteps: Math.ceil(kept / 8),
            pairStats: { candidates: 30, zeroGradient: 12, zeroGradientShare: 0.4, selected: kept, selectedZeroGradient: 3 },
            meters: meters(10_000, c.share === 0 ? 100 : 6_000),
          },
        ],
      };
    }),
  );
  return {
    dits_version: 'test',
    preset: 'paper-ablation',
    scenario: 'hotpotqa',
    scenarioSource: 'built-in scenarios/builtin/hotpotqa.yaml',
    tasks: { generator: 'gen-ie', validationSeedOffset: 1_000_000 },
    metric: 'f1',
    reference,
    expectedTemperature: opts.expected ? 0.7 : null,
    seeds,
    base: BASE,
    shares: [0, 0.5],
    calibration,
    configurations,
    runs,
    summary: summarize(configurations, runs, reference),
  };
}
