import { describe, expect, it } from 'vitest';
import { renderReport } from '../../engine/report/table.ts';
import { fixtureResults } from './fixture.ts';

describe('the planted pairs table of dits compare', () => {
  it('is absent without planted runs', () => {
    expect(renderReport(fixtureResults())).not.toContain('Planted pairs kept');
  });

  it('gives kept harmful and kept helpful per configuration, means over the seeds', () => {
    const results = fixtureResults();
    for (const r of results.runs) {
      for (const it of r.iterations) it.planted = { harmful: { planted: 10, kept: r.seed === 0 ? 2 : 5 }, helpful: { planted: 10, kept: 7 } };
    }
    const md = renderReport(results);
    expect(md).toContain('## Planted pairs kept');
    expect(md).toContain('| configuration | iteration | harmful kept / planted | helpful kept / planted |');
    for (const c of results.configurations) expect(md).toContain(`| ${c.name} | 0 | 3.5 / 10.0 | 7.0 / 10.0 |`);
  });
});
