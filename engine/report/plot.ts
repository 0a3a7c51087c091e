/**
 * The comparison's plot as a Vega-Lite spec (pure), and its rendering to SVG with Vega in
 * headless mode: no browser, no canvas, no network. Vega is imported only when rendering, so
 * other commands do not pay for loading it.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CALIBRATION_SOURCE } from './plan.ts';
import { influenceShare, type CompareResults, type PairedDifference, type SummaryRow } from './results.ts';

interface Point {
  configuration: string;
  iteration: string;
  /** Its place across the configuration's band: see `slotOf`. */
  slot: number;
  mean: number;
  lo: number | null;
  hi: number | null;
  share: number;
  /** Target share of a sweep point, as a label. */
  target: string;
  series: string;
}

/** One run's value: the per-seed points beside each mean. */
interface SeedPoint {
  configuration: string;
  iteration: string;
  slot: number;
  seed: number;
  value: number;
  share: number;
}

type Range = readonly [number, number];

// Every metric dits scores (F1, exact match, MATH equivalence) lies in [0, 1], and so does a
// mean of them; a t interval does not know that, and drawn unclipped it would suggest values
// that cannot occur. A difference of two such means lies in [-1, 1].
const METRIC_RANGE: Range = [0, 1];
const DIFFERENCE_RANGE: Range = [-1, 1];
const clipTo = ([lo, hi]: Range) => (x: number | null) => (x === null ? null : Math.min(hi, Math.max(lo, x)));
const clipMetric = clipTo(METRIC_RANGE);
const clipDifference = clipTo(DIFFERENCE_RANGE);

/**
 * A y domain inside `range` holding every value, widened by 5% of the range each way so no mark
 * sits on the frame. Vega's own domain would be the values' span: a single point when every
 * run scored the ceiling, which draws them all mid-height against one tick. Rounding it to
 * nice ticks keeps it inside, as the range's ends are multiples of every tick step.
 */
function domainWithin([lo, hi]: Range, values: readonly (number | null)[]): Range {
  const present = values.filter((v): v is number => v !== null);
  if (present.length === 0) return [lo, hi];
  const pad = 0.05 * (hi - lo);
  return [Math.max(lo, Math.min(...present) - pad), Math.min(hi, Math.max(...present) + pad)];
}

/**
 * Where a mark sits beside the others of its iteration: the seeds' points in seed order with the
 * mean (`seed` null) and its interval in the middle, so no seed hides behind the mean or another
 * seed. A position, not a random jitter: the same results draw the same picture.
 */
function position(seeds: readonly number[], seed: number | null): number {
  const middle = Math.floor(seeds.length / 2);
  const rank = seed === null ? middle : seeds.indexOf(seed);
  return seed === null || rank < middle ? rank : rank + 1;
}

/** A configuration's band holds one slot per seed and one for the mean, iteration after iteration. */
function slotOf(seeds: readonly number[], iteration: number, seed: number | null): number {
  return iteration * (seeds.length + 1) + position(seeds, seed);
}

/** Pixels between neighbouring seeds in the sweep. */
const SEED_GAP = 5;
/** Pixels left or right of the mean, where x is a quantity (the sweep's share) and slots cannot apply. */
const dxOf = (seeds: readonly number[], seed: number) => (position(seeds, seed) - position(seeds, null)) * SEED_GAP;

function points(results: CompareResults, kind: 'selection' | 'budget'): Point[] {
  const configs = results.configurations.filter((c) => c.kind === kind);
  return configs.flatMap((c) =>
    results.summary
      .filter((r) => r.configuration === c.name)
      .map((r) => ({
        configuration: c.name,
        iteration: `iteration ${r.iteration}`,
        slot: slotOf(results.seeds, r.iteration, null),
        mean: r.metric.mean,
        lo: clipMetric(r.metric.lo),
        hi: clipMetric(r.metric.hi),
        share: r.influenceShare,
        target: c.share === undefined ? c.name : `s=${+c.share.toFixed(3)}`,
        series: kind === 'budget' ? 'sweep' : c.name,
      })),
  );
}

function seedPoints(results: CompareResults, kind: 'selection' | 'budget'): SeedPoint[] {
  const names = new Set(results.configurations.filter((c) => c.kind === kind).map((c) => c.name));
  return results.runs
    .filter((r) => names.has(r.configuration))
    .flatMap((r) =>
      r.iterations.map((i) => ({
        configuration: r.configuration,
        iteration: `iteration ${i.iteration}`,
        slot: slotOf(results.seeds, i.iteration, r.seed),
        seed: r.seed,
        value: i.metric,
        share: influenceShare(i.meters),
      })),
    );
}

/** Each configuration's paired difference against the reference: mean, interval, and the per-seed differences. */
function differences(results: CompareResults): { means: Point[]; seeds: SeedPoint[] } {
  const rows = results.summary.filter((r) => r.vsReference !== null);
  const at = (r: SummaryRow, seed: number | null) => ({ configuration: r.configuration, iteration: `iteration ${r.iteration}`, slot: slotOf(results.seeds, r.iteration, seed) });
  return {
    means: rows.map((r) => {
      const d = r.vsReference as PairedDifference;
      return { ...at(r, null), mean: d.mean, lo: clipDifference(d.lo), hi: clipDifference(d.hi), share: r.influenceShare, target: r.configuration, series: r.configuration };
    }),
    seeds: rows.flatMap((r) =>
      (r.vsReference as PairedDifference).perSeed.map((p) => ({ ...at(r, p.seed), seed: p.seed, value: p.difference, share: r.influenceShare })),
    ),
  };
}

/**
 * Test metric per configuration with 95% CI bars and every seed's run beside it; for the budget
 * sweep, metric against realised influence share; below, each configuration's paired difference
 * against the reference.
 */
export function compareSpec(results: CompareResults): TopLevelSpec {
  const metric = `test ${results.metric}`;
  const selection = points(results, 'selection');
  const sweep = points(results, 'budget');
  const calibration = selection.filter((p) => p.configuration === CALIBRATION_SOURCE).map((p) => ({ ...p, target: `${CALIBRATION_SOURCE} (sets B)` }));
  const selectionSeeds = seedPoints(results, 'selection');
  const sweepSeeds = seedPoints(results, 'budget').map((p) => ({ ...p, dx: dxOf(results.seeds, p.seed) }));
  const scale = { nice: true, domain: domainWithin(METRIC_RANGE, [...selection, ...sweep].flatMap((p) => [p.mean, p.lo, p.hi]).concat([...selectionSeeds, ...sweepSeeds].map((p) => p.value))) };
  const y = { field: 'mean', type: 'quantitative' as const, title: metric, scale };
  const yLo = { field: 'lo', type: 'quantitative' as const, title: metric, scale };
  const seedY = { field: 'value', type: 'quantitative' as const, title: metric, scale };
  const iterations = new Set(results.summary.map((r) => r.iteration)).size;
  // One iteration needs no legend.
  const color = { field: 'iteration', type: 'nominal' as const, title: null, ...(iterations > 1 ? {} : { legend: null }) };
  const slot = { field: 'slot', type: 'ordinal' as const, title: null };
  // A configuration's band holds a slot per seed and one for the mean, in every iteration.
  const band = (configurations: readonly Point[]) => Math.max(60, 6 * iterations * (results.seeds.length + 1)) * new Set(configurations.map((p) => p.configuration)).size;
  const hasCi = { filter: 'isValid(datum.lo) && isValid(datum.hi)' };
  const seedMark = { type: 'point' as const, filled: false, size: 20, opacity: 0.6 };
  const panels: Record<string, unknown>[] = [];
  const order = results.configurations.map((c) => c.name);
  if (selection.length > 0) {
    const x = { field: 'configuration', type: 'nominal' as const, sort: order, title: 'selection', axis: { labelAngle: 0 } };
    panels.push({
      title: 'Selection ablation',
      width: band(selection),
      height: 260,
      layer: [
        { data: { values: selectionSeeds }, mark: seedMark, encoding: { x, xOffset: slot, y: seedY, color } },
        {
          data: { values: selection },
          layer: [
            { transform: [hasCi], mark: { type: 'errorbar', ticks: { size: 10 } }, encoding: { x, xOffset: slot, y: yLo, y2: { field: 'hi' }, color } },
            { mark: { type: 'point', filled: true, size: 60 }, encoding: { x, xOffset: slot, y, color } },
          ],
        },
      ],
    });
  }
  if (sweep.length > 0) {
    const x = { field: 'share', type: 'quantitative' as const, title: 'influence share of Q + influence tokens (realised)', scale: { domain: [0, 1] } };
    panels.push({
      title: 'Budget allocation sweep (equal Q + influence tokens)',
      width: 320,
      height: 260,
      layer: [
        { data: { values: sweepSeeds }, mark: { ...seedMark, xOffset: { expr: 'datum.dx' } }, encoding: { x, y: seedY, color } },
        {
          data: { values: sweep },
          layer: [
            { mark: { type: 'line' }, encoding: { x, y, color } },
            { transform: [hasCi], mark: { type: 'errorbar', ticks: true }, encoding: { x, y: yLo, y2: { field: 'hi' }, color } },
            { mark: { type: 'point', filled: true, size: 60 }, encoding: { x, y, color } },
            { mark: { type: 'text', dy: -12, fontSize: 9 }, encoding: { x, y, text: { field: 'target' } } },
          ],
        },
        ...(calibration.length > 0
          ? [
              {
                data: { values: calibration },
                layer: [
                  { transform: [hasCi], mark: { type: 'errorbar' as const, ticks: true, color: 'gray' }, encoding: { x, y: yLo, y2: { field: 'hi' } } },
                  { mark: { type: 'point' as const, shape: 'diamond', filled: true, size: 80, color: 'gray' }, encoding: { x, y } },
                  { mark: { type: 'text' as const, dy: 14, fontSize: 9, color: 'gray' }, encoding: { x, y, text: { field: 'target' } } },
                ],
              },
            ]
          : []),
      ],
    });
  }
  const diff = differences(results);
  const rows: Record<string, unknown>[] = [{ hconcat: panels, resolve: { scale: { y: 'shared', color: 'shared' } } }];
  if (diff.means.length > 0) {
    const title = `${metric} − ${results.reference}'s, same seed`;
    const x = { field: 'configuration', type: 'nominal' as const, sort: order, title: null, axis: { labelAngle: 0 } };
    // The zero line is always in view.
    const diffScale = { nice: true, domain: domainWithin(DIFFERENCE_RANGE, [0, ...diff.means.flatMap((p) => [p.mean, p.lo, p.hi]), ...diff.seeds.map((p) => p.value)]) };
    const diffY = (field: string) => ({ field, type: 'quantitative' as const, title, scale: diffScale });
    rows.push({
      title: `Paired difference against ${results.reference} (95% Student t interval; open points: seeds)`,
      width: band(diff.means),
      height: 200,
      layer: [
        { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: 'gray', strokeDash: [4, 4] }, encoding: { y: diffY('zero') } },
        { data: { values: diff.seeds }, mark: seedMark, encoding: { x, xOffset: slot, y: diffY('value'), color } },
        {
          data: { values: diff.means },
          layer: [
            { transform: [hasCi], mark: { type: 'errorbar', ticks: { size: 10 } }, encoding: { x, xOffset: slot, y: diffY('lo'), y2: { field: 'hi' }, color } },
            { mark: { type: 'point', filled: true, size: 60 }, encoding: { x, xOffset: slot, y: diffY('mean'), color } },
          ],
        },
      ],
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `dits compare: ${results.preset} on ${results.scenario}`,
      subtitle: `${results.seeds.length} seed(s), ${results.base.dpoSeeds} DPO seed(s) per run; bars: 95% Student t CI over seeds, clipped to the metric's range; open points: each seed's run, beside its mean in seed order`,
    },
    background: 'white',
    vconcat: rows,
  } as unknown as TopLevelSpec;
}

/** Renders a Vega-Lite spec to an SVG string, headless. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vl, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
