import { describe, expect, it } from 'vitest';
import type { TopLevelSpec } from 'vega-lite';
import { compareSpec, renderSvg } from '../../engine/report/plot.ts';
import { summarize, type CompareResults } from '../../engine/report/results.ts';
import { fixtureResults } from './fixture.ts';

/** The fixture's comparison with run metric `metric(seed, configuration index)` on every run. */
function resultsWith(seeds: number[], metric: (seed: number, i: number) => number): CompareResults {
  const r = fixtureResults(seeds);
  for (const run of r.runs) {
    const i = r.configurations.findIndex((c) => c.name === run.configuration);
    for (const it of run.iterations) it.metric = metric(run.seed, i);
  }
  return { ...r, summary: summarize(r.configurations, r.runs, r.reference) };
}

/** The y domains Vega draws: the metric's (selection and sweep share it) and the paired difference's. */
async function yDomains(spec: TopLevelSpec): Promise<{ metric: number[]; difference: number[] }> {
  const [vl, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    await view.runAsync();
    return { metric: view.scale('concat_0_y').domain(), difference: view.scale('concat_1_y').domain() };
  } finally {
    view.finalize();
  }
}

interface Symbol {
  label: string;
  x: number;
  open: boolean;
}

/** Every point of the SVG: its ARIA label (x field first), x position, and whether it is an open (seed) point. */
function symbols(svg: string): Symbol[] {
  const tags = svg.match(/<path aria-label="[^"]*" role="graphics-symbol" aria-roledescription="point"[^>]*>/g) ?? [];
  return tags.map((tag) => ({
    label: /aria-label="([^"]*)"/.exec(tag)![1]!,
    x: Number(/translate\(([-\d.e]+),/.exec(tag)![1]),
    open: !/ fill="/.test(tag),
  }));
}

describe('the comparison plot of a metric bounded to [0, 1]', () => {
  it('keeps the y axis inside [0, 1] around every value, the ceiling and the floor included', async () => {
    const cases: [string, (seed: number, i: number) => number][] = [
      ['every run at the ceiling', () => 1],
      ['intervals past 1 before clipping', (seed, i) => Math.min(1, 0.9 + 0.05 * seed + 0.01 * i)],
      ['every run at 0', () => 0],
    ];
    for (const [name, metric] of cases) {
      const results = resultsWith([0, 1, 2], metric);
      const values = results.runs.flatMap((r) => r.iterations.map((i) => i.metric));
      const { metric: [lo, hi], difference: [dlo, dhi] } = await yDomains(compareSpec(results));
      expect(lo!, name).toBeGreaterThanOrEqual(0);
      expect(hi!, name).toBeLessThanOrEqual(1);
      // Not a single point, and no run outside it.
      expect(lo!, name).toBeLessThan(hi!);
      expect(lo!, name).toBeLessThanOrEqual(Math.min(...values));
      expect(hi!, name).toBeGreaterThanOrEqual(Math.max(...values));
      expect(dlo!, name).toBeGreaterThanOrEqual(-1);
      expect(dhi!, name).toBeLessThanOrEqual(1);
      expect(dlo!, name).toBeLessThan(dhi!);
    }
  });

  it('draws one open point per seed beside each mean, none behind it or behind another seed', async () => {
    const seeds = [0, 1, 2, 3];
    // Every seed scores the same, so only their x positions can tell them apart.
    const results = resultsWith(seeds, (_seed, i) => 0.5 + 0.05 * i);
    const points = symbols(await renderSvg(compareSpec(results)));
    const panels = [
      { prefix: 'selection: ', names: ['full', 'random', 'q', 'influence', 'mix'] },
      { prefix: 'configuration: ', names: ['random', 'q', 'influence', 'mix', 'share-0', 'share-0.5'] },
    ];
    for (const { prefix, names } of panels) {
      for (const name of names) {
        const mine = points.filter((p) => p.label.startsWith(`${prefix}${name};`));
        const open = mine.filter((p) => p.open).map((p) => Math.round(p.x));
        const means = mine.filter((p) => !p.open).map((p) => Math.round(p.x));
        expect(open, `${prefix}${name}`).toHaveLength(seeds.length);
        expect(new Set(open).size, `${prefix}${name}`).toBe(seeds.length);
        expect(means, `${prefix}${name}`).toHaveLength(1);
        expect(open, `${prefix}${name}`).not.toContain(means[0]);
        // Seeds in seed order, half on each side of the mean.
        expect(open.filter((x) => x < means[0]!)).toHaveLength(seeds.length / 2);
      }
    }
    // The sweep's x is the realised share: there its seeds sit a few pixels to either side.
    const sweep = points.filter((p) => p.label.startsWith('influence share'));
    const sweepMeans = sweep.filter((p) => !p.open).map((p) => Math.round(p.x));
    const sweepSeeds = sweep.filter((p) => p.open).map((p) => Math.round(p.x));
    expect(sweepSeeds).toHaveLength(2 * seeds.length);
    for (const x of sweepSeeds) expect(sweepMeans).not.toContain(x);
  });

  it('draws the same picture every time', async () => {
    const results = resultsWith([0, 1, 2], (seed, i) => 0.4 + 0.1 * seed + 0.02 * i);
    expect(await renderSvg(compareSpec(results))).toBe(await renderSvg(compareSpec(structuredClone(results))));
  });
});
