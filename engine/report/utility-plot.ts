/**
 * The utility check's plot (the paper's Figure 2(a)): each sampled group's real gain against
 * its mean Q, its probe influence and its first-order estimate, one panel each.
 */
import type { TopLevelSpec } from 'vega-lite';

export interface UtilityPoint {
  group: number;
  gain: number;
  meanQ: number;
  influence: number;
  firstOrder: number;
}

const PREDICTORS = [
  ['meanQ', 'mean Q of the group'],
  ['influence', 'probe influence F_g - F(warm)'],
  ['firstOrder', 'first-order estimate'],
] as const;

export function utilitySpec(points: readonly UtilityPoint[], metric: string, correlations: Record<string, number | null>): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `real gain in test ${metric} vs. three predictors`,
    hconcat: PREDICTORS.map(([field, label]) => {
      const rho = correlations[field];
      return {
        width: 220,
        height: 200,
        title: `${label} (Spearman ρ ${rho === null || rho === undefined ? 'undefined' : rho.toFixed(2)})`,
        data: { values: points.map((p) => ({ ...p })) },
        mark: { type: 'point', filled: true, size: 50 },
        encoding: {
          x: { field, type: 'quantitative', title: label, scale: { zero: false } },
          y: { field: 'gain', type: 'quantitative', title: `gain in ${metric}` },
          tooltip: [{ field: 'group' }, { field: 'gain' }, { field }],
        },
      };
    }),
  } as unknown as TopLevelSpec;
}
