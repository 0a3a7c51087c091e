import { describe, expect, it } from 'vitest';
import { influenceShare, iterationSpend, summarize } from '../../engine/report/results.ts';
import { formatInterval, formatMeanCi, markdownTable, renderReport } from '../../engine/report/table.ts';
import { meanCi95 } from '../../engine/report/stats.ts';
import { fixtureResults } from './fixture.ts';

describe('iterationSpend', () => {
  it('turns cumulative meter readings into per-iteration spend', () => {
    const r = (calls: number, tokens: number) => ({ calls, tokens, scoringCalls: 0 });
    const cumulative = [
      { q: r(10, 100), influence: r(5, 50), sft: r(1, 10), eval: r(2, 20) },
      { q: r(25, 260), influence: r(9, 90), sft: r(1, 10), eval: r(4, 45) },
    ];
    const spend = iterationSpend(cumulative);
    expect(spend[0]).toEqual(cumulative[0]);
    expect(spend[1]).toEqual({ q: r(15, 160), influence: r(4, 40), sft: r(0, 0), eval: r(2, 25) });
    expect(influenceShare(spend[1]!)).toBeCloseTo(40 / 200, 12);
  });
});

describe('summarize', () => {
  it('gives one row per configuration and iteration, with the CI over seeds and mean spend', () => {
    const results = fixtureResults();
    expect(results.summary.map((r) => r.configuration)).toEqual(results.configurations.map((c) => c.name));
    const full = results.summary[0]!;
    // Seeds score 0.5 and 0.6: mean 0.55, sd 0.0707, half = 12.7062·0.0707/√2 = 0.63531.
    expect(full.seeds).toBe(2);
    expect(full.metric.mean).toBeCloseTo(0.55, 12);
    expect(full.metric.half).toBeCloseTo(0.63531, 5);
    expect(full.meters.q.tokens).toBe(10_000);
    expect(full.budgetTokens).toBe(16_000);
    expect(full.influenceShare).toBeCloseTo(0.375, 12);
    expect(summarize(results.configurations, [])).toEqual([]);
  });
});

describe('the Markdown report', () => {
  it('formats means with their interval, and says when there is none', () => {
    expect(formatMeanCi(meanCi95([0.5, 0.7, 0.6]))).toBe('0.6000 ± 0.2484');
    expect(formatInterval(meanCi95([0.5, 0.7, 0.6]))).toBe('[0.3516, 0.8484]');
    expect(formatMeanCi(meanCi95([0.42]))).toBe('0.4200 (1 seed: no CI)');
    expect(formatInterval(meanCi95([0.42]))).toBe('–');
  });

  it('writes a Markdown table, escaping pipes', () => {
    expect(markdownTable(['a', 'b'], [['1', 'x|y']])).toBe('| a | b |\n| --- | --- |\n| 1 | x\\|y |');
  });

  it('has a row per configuration with metric, CI, tokens per dialogue and every meter', () => {
    const md = renderReport(fixtureResults());
    expect(md).toContain('# dits compare: paper-ablation on hotpotqa');
    expect(md).toContain('## Selection ablation');
    expect(md).toContain('## Budget allocation sweep');
    expect(md).toContain('| configuration | iteration | test f1 (mean ± 95% CI) | 95% CI | tokens / test dialogue | pairs kept / candidates | q calls / tokens | influence calls / tokens | sft calls / tokens | eval calls / tokens |');
    expect(md).toContain('| full: full set (Optima-DPO) | 0 | 0.5500 ± 0.6353 | [-0.0853, 1.1853] | 40.0 | 30.0 / 30.0 | 1,000 / 10,000 | 600 / 6,000 | 50 / 500 | 40 / 800 |');
    expect(md).toMatch(/\| mix: mix \(γ = 1\), 50% \| 0 \| 0\.7500 ± 0\.6353 \|/);
    // The sweep rows, then the configuration that set B.
    expect(md).toMatch(/\| 0\.00 \| 0 \| 0\.010 \| \d+ \| 1 \| all pairs \|/);
    expect(md).toMatch(/\| 0\.50 \| 0 \| 0\.375 \| \d+ \| \d+ \| 5 \|/);
    expect(md).toMatch(/\| mix \(sets B\) \| 0 \| 0\.375 \| 10 \| 10 \| 5 \|/);
    for (const c of fixtureResults().configurations) expect(md).toContain(c.kind === 'selection' ? `| ${c.name}: ` : `| ${(c.share ?? 0).toFixed(2)} |`);
  });

  it('says that one seed gives no interval', () => {
    const md = renderReport(fixtureResults([0]));
    expect(md).toContain('With 1 seed there is no confidence interval');
    expect(md).toContain('0.5000 (1 seed: no CI) | – |');
  });
});
