/**
 * The comparison's plot as a Vega-Lite spec (pure), and its rendering to SVG with Vega in
 * headless mode: no browser, no canvas, no network. Vega is imported only when rendering, so
 * other commands do not pay for loading it.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CALIBRATION_SOURCE } from './plan.ts';
import type { CompareResults } from './results.ts';

interface Point {
  configuration: string;
  iteration: string;
  mean: number;
  lo: number | null;
  hi: number | null;
  share: number;
  /** Target share of a sweep point, as a label. */
  target: string;
  series: string;
}

function points(results: CompareResults, kind: 'selection' | 'budget'): Point[] {
  const configs = results.configurations.filter((c) => c.kind === kind);
  return configs.flatMap((c) =>
    results.summary
      .filter((r) => r.configuration === c.name)
      .map((r) => ({
        configuration: c.name,
        iteration: `iteration ${r.iteration}`,
        mean: r.metric.mean,
        lo: r.metric.lo,
        hi: r.metric.hi,
        share: r.influenceShare,
        target: c.share === undefined ? c.name : `s=${+c.share.toFixed(3)}`,
        series: kind === 'budget' ? 'sweep' : c.name,
      })),
  );
}

/** Test metric per configuration with 95% CI bars; for the budget sweep, metric against realised influence share. */
export function compareSpec(results: CompareResults): TopLevelSpec {
  const metric = `test ${results.metric}`;
  const selection = points(results, 'selection');
  const sweep = points(results, 'budget');
  const calibration = selection.filter((p) => p.configuration === CALIBRATION_SOURCE).map((p) => ({ ...p, target: `${CALIBRATION_SOURCE} (sets B)` }));
  const y = { field: 'mean', type: 'quantitative' as const, title: metric, scale: { zero: false } };
  const iterations = new Set(results.summary.map((r) => r.iteration)).size;
  // One iteration needs no legend.
  const color = { field: 'iteration', type: 'nominal' as const, title: null, ...(iterations > 1 ? {} : { legend: null }) };
  const hasCi = { filter: 'isValid(datum.lo) && isValid(datum.hi)' };
  const panels: Record<string, unknown>[] = [];
  if (selection.length > 0) {
    const x = { field: 'configuration', type: 'nominal' as const, sort: selection.map((p) => p.configuration), title: 'selection', axis: { labelAngle: 0 } };
    panels.push({
      title: 'Selection ablation',
      width: 60 * new Set(selection.map((p) => p.configuration)).size,
      height: 260,
      data: { values: selection },
      layer: [
        { transform: [hasCi], mark: { type: 'errorbar', ticks: { size: 10 } }, encoding: { x, xOffset: color, y: { field: 'lo', type: 'quantitative', title: metric }, y2: { field: 'hi' }, color } },
        { mark: { type: 'point', filled: true, size: 60 }, encoding: { x, xOffset: color, y, color } },
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
        {
          data: { values: sweep },
          layer: [
            { mark: { type: 'line' }, encoding: { x, y, color } },
            { transform: [hasCi], mark: { type: 'errorbar', ticks: true }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: metric }, y2: { field: 'hi' }, color } },
            { mark: { type: 'point', filled: true, size: 60 }, encoding: { x, y, color } },
            { mark: { type: 'text', dy: -12, fontSize: 9 }, encoding: { x, y, text: { field: 'target' } } },
          ],
        },
        ...(calibration.length > 0
          ? [
              {
                data: { values: calibration },
                layer: [
                  { transform: [hasCi], mark: { type: 'errorbar' as const, ticks: true, color: 'gray' }, encoding: { x, y: { field: 'lo', type: 'quantitative' as const, title: metric }, y2: { field: 'hi' } } },
                  { mark: { type: 'point' as const, shape: 'diamond', filled: true, size: 80, color: 'gray' }, encoding: { x, y } },
                  { mark: { type: 'text' as const, dy: 14, fontSize: 9, color: 'gray' }, encoding: { x, y, text: { field: 'target' } } },
                ],
              },
            ]
          : []),
      ],
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `dits compare: ${results.preset} on ${results.scenario}`, subtitle: `${results.seeds.length} seed(s); bars: 95% Student t CI over seeds` },
    background: 'white',
    hconcat: panels,
    resolve: { scale: { y: 'shared', color: 'shared' } },
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
