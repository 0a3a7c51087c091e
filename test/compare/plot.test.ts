import { describe, expect, it } from 'vitest';
import { compareSpec, renderSvg } from '../../engine/report/plot.ts';
import { fixtureResults } from './fixture.ts';

/** The parts of the spec the tests read. */
interface Panel {
  layer: { data?: { values: { configuration: string; lo?: number | null; hi?: number | null }[] } }[];
}
interface Spec {
  vconcat: [{ hconcat: Panel[] }, ...Panel[]];
}

describe('the comparison plot', () => {
  it('renders the Vega-Lite spec to an SVG naming every configuration, headless', async () => {
    const results = fixtureResults();
    const svg = await renderSvg(compareSpec(results));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('</svg>');
    for (const name of ['full', 'random', 'q', 'influence', 'mix']) expect(svg).toContain(`>${name}</text>`);
    // Sweep points are labelled by their target share, the calibration configuration by its name.
    expect(svg).toContain('s=0.5');
    expect(svg).toContain('mix (sets B)');
    expect(svg).toContain('Budget allocation sweep');
  });

  it('shows every seed\'s run beside the means, and each configuration\'s paired difference against the reference', async () => {
    const results = fixtureResults([0, 1, 2]);
    const spec = compareSpec(results) as unknown as Spec;
    const [selection, sweep] = spec.vconcat[0]!.hconcat;
    // One open point per run: 5 selection configurations and 2 sweep shares, 3 seeds each.
    expect(selection!.layer[0]!.data!.values).toHaveLength(5 * 3);
    expect(sweep!.layer[0]!.data!.values).toHaveLength(2 * 3);
    // Below: every configuration but full, its mean difference and each seed's.
    const diff = spec.vconcat[1]!;
    expect(diff.layer[1]!.data!.values).toHaveLength(6 * 3);
    expect(diff.layer[2]!.data!.values.map((p) => p.configuration)).toEqual(['random', 'q', 'influence', 'mix', 'share-0', 'share-0.5']);
    expect(await renderSvg(compareSpec(results))).toContain('Paired difference against full');
  });

  it('clips the intervals to the metric\'s range [0, 1]', () => {
    const results = fixtureResults();
    // Two seeds: full's interval is 0.55 ± 0.6353, below 0 unclipped.
    expect(results.summary[0]!.metric.lo).toBeLessThan(0);
    const means = (compareSpec(results) as unknown as Spec).vconcat[0]!.hconcat[0]!.layer[1]!.data!.values;
    expect(means[0]!.lo).toBe(0);
    expect(means.every((p) => p.lo! >= 0 && p.hi! <= 1)).toBe(true);
  });

  it('draws CI bars only where there is an interval', () => {
    const spec = JSON.stringify(compareSpec(fixtureResults([0])));
    expect(spec).toContain('errorbar');
    expect(spec).toContain('isValid(datum.lo)');
    return expect(renderSvg(compareSpec(fixtureResults([0])))).resolves.toContain('>mix</text>');
  });
});
