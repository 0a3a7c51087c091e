import { describe, expect, it } from 'vitest';
import { compareSpec, renderSvg } from '../../engine/report/plot.ts';
import { fixtureResults } from './fixture.ts';

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

  it('draws CI bars only where there is an interval', () => {
    const spec = JSON.stringify(compareSpec(fixtureResults([0])));
    expect(spec).toContain('errorbar');
    expect(spec).toContain('isValid(datum.lo)');
    return expect(renderSvg(compareSpec(fixtureResults([0])))).resolves.toContain('>mix</text>');
  });
});
