import { describe, expect, it } from 'vitest';
import { COLLAPSE_MARGIN, influenceShare, iterationSpend, pairedDifference, summarize } from '../../engine/report/results.ts';
import { formatDifference, formatInterval, formatMeanCi, formatProportion, markdownTable, renderReport } from '../../engine/report/table.ts';
import { meanCi95, wilson95 } from '../../engine/report/stats.ts';
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
    expect(summarize(results.configurations, [], 'full')).toEqual([]);
  });

  it('pairs every configuration with the reference and with its SFT model, seed by seed', () => {
    const rows = fixtureResults([0, 1, 2]).summary;
    const full = rows.find((r) => r.configuration === 'full')!;
    const random = rows.find((r) => r.configuration === 'random')!;
    const mix = rows.find((r) => r.configuration === 'mix')!;
    expect(full.vsReference).toBeNull();
    // random − full per seed: 0.05 + 0.01·s; mean 0.06, sd 0.01, half 4.3027 · 0.01 / √3.
    const d = random.vsReference!;
    expect(d.minus).toBe('full');
    expect(d.perSeed.map((p) => p.seed)).toEqual([0, 1, 2]);
    expect(d.perSeed.map((p) => p.difference)).toEqual([0.05, 0.06, 0.07].map((x) => expect.closeTo(x, 12)));
    expect(d.mean).toBeCloseTo(0.06, 12);
    expect(d.sd).toBeCloseTo(0.01, 12);
    expect(d.half).toBeCloseTo((4.3027 * 0.01) / Math.sqrt(3), 12);
    expect(d.excludesZero).toBe(true);
    // Run means move with batch order by 0.04 (random) and 0.02 (full): one seed's difference by
    // √(0.04² + 0.02²), the mean of three by that / √3 = 0.0258, not below a third of 0.06.
    expect(d.batchOrderSdPerSeed).toBeCloseTo(Math.sqrt(0.04 ** 2 + 0.02 ** 2), 12);
    expect(d.batchOrderSd).toBeCloseTo(Math.sqrt(0.04 ** 2 + 0.02 ** 2) / Math.sqrt(3), 12);
    expect(d.batchOrderBelowThird).toBe(false);
    // mix: √(0.1² + 0.02²) / √3 = 0.0589 < 0.24 / 3.
    expect(mix.vsReference!.batchOrderSd).toBeCloseTo(Math.sqrt(0.1 ** 2 + 0.02 ** 2) / Math.sqrt(3), 12);
    expect(mix.vsReference!.batchOrderBelowThird).toBe(true);
    // Against its own SFT model (0.6 + 0.1·s), whose batch-order noise is none.
    expect(full.gainOverSft.minus).toBe('sft');
    expect(full.gainOverSft.mean).toBeCloseTo(-0.1, 12);
    expect(full.gainOverSft.batchOrderSdPerSeed).toBeCloseTo(0.02, 12);
    expect(full.gainOverSft.batchOrderSd).toBeCloseTo(0.02 / Math.sqrt(3), 12);
    expect(full.sft.mean).toBeCloseTo(0.7, 12);
  });

  it('pools the batch-order SD, counts collapses with a Wilson interval, and averages zero-gradient shares and DPO steps', () => {
    const rows = fixtureResults([0, 1, 2]).summary;
    const full = rows.find((r) => r.configuration === 'full')!;
    const q = rows.find((r) => r.configuration === 'q')!;
    // full's two DPO seeds m ∓ 0.02: sd 0.04 / √2 in every run; a run's mean: that / √2.
    expect(full.batchOrder!.perModel).toBeCloseTo(0.04 / Math.SQRT2, 12);
    expect(full.batchOrder!.runMean).toBeCloseTo(0.02, 12);
    expect(full.dpoSeeds).toBe(2);
    // full's DPO seed 0 is 0.12 below its SFT model on every seed, seed 1 only 0.08.
    expect(COLLAPSE_MARGIN).toBe(0.1);
    expect(full.collapse).toEqual(wilson95(3, 6));
    expect(q.collapse.successes).toBe(0);
    expect(full.zeroGradientShare).toEqual({ candidates: expect.closeTo(0.4, 12), selected: expect.closeTo(0.1, 12) });
    expect(q.zeroGradientShare).toEqual({ candidates: expect.closeTo(0.4, 12), selected: expect.closeTo(0.2, 12) });
    expect(full.dpoSteps).toBe(4);
    expect(q.dpoSteps).toBe(2);
    expect(full.expected).toBeNull();
  });

  it('summarizes the expected metric the same way when the runs measured it', () => {
    const random = fixtureResults([0, 1, 2], { expected: true }).summary.find((r) => r.configuration === 'random')!;
    const e = random.expected!;
    expect(e.temperature).toBe(0.7);
    expect(e.metric.mean).toBeCloseTo(random.metric.mean - 0.1, 12);
    expect(e.vsReference!.mean).toBeCloseTo(0.06, 12);
    // DPO seeds m − 0.1 ∓ 0.01: a run mean's SD is 0.01, the mean difference's √2 · 0.01 / √3 < 0.06 / 3.
    expect(e.vsReference!.batchOrderSdPerSeed).toBeCloseTo(Math.SQRT2 * 0.01, 12);
    expect(e.vsReference!.batchOrderSd).toBeCloseTo((Math.SQRT2 * 0.01) / Math.sqrt(3), 12);
    expect(e.vsReference!.batchOrderBelowThird).toBe(true);
    expect(e.gainOverSft.mean).toBeCloseTo(-0.04, 12);
  });

  it('pairs with another reference when asked', () => {
    const rows = fixtureResults([0, 1, 2], { reference: 'q' }).summary;
    expect(rows.find((r) => r.configuration === 'q')!.vsReference).toBeNull();
    expect(rows.find((r) => r.configuration === 'full')!.vsReference!.mean).toBeCloseTo(-0.12, 12);
  });
});

describe('pairedDifference', () => {
  const a = [0.6, 0.72, 0.58].map((value, seed) => ({ seed, value }));
  const b = [0.5, 0.6, 0.5, 0.9].map((value, seed) => ({ seed, value }));

  it('pairs the seeds both sides have and judges the batch-order noise only of a resolved difference', () => {
    // Differences 0.1, 0.12, 0.08: mean 0.1, sd 0.02, interval 0.1 ± 4.3027 · 0.02 / √3 = [0.0503, 0.1497].
    const d = pairedDifference('ref', a, b, 0.05);
    expect(d.perSeed).toHaveLength(3);
    expect(d.lo).toBeCloseTo(0.1 - (4.3027 * 0.02) / Math.sqrt(3), 12);
    expect(d.excludesZero).toBe(true);
    // One seed's batch-order SD 0.05, the mean's 0.05 / √3 = 0.0289 < 0.1 / 3; 0.06 / √3 = 0.0346 is not.
    expect(d.batchOrderSd).toBeCloseTo(0.05 / Math.sqrt(3), 12);
    expect(d.batchOrderBelowThird).toBe(true);
    expect(pairedDifference('ref', a, b, 0.06).batchOrderBelowThird).toBe(false);
    expect(pairedDifference('ref', a, b, null).batchOrderBelowThird).toBeNull();
    const unresolved = pairedDifference('ref', a, [0.7, 0.6, 0.5].map((value, seed) => ({ seed, value })), 0);
    expect(unresolved.excludesZero).toBe(false);
    expect(unresolved.batchOrderBelowThird).toBeNull();
    const one = pairedDifference('ref', a.slice(0, 1), b, 0);
    expect(one.excludesZero).toBeNull();
    expect(one.half).toBeNull();
  });
});

describe('the Markdown report', () => {
  it('formats differences and proportions', () => {
    expect(formatDifference(meanCi95([-0.1, -0.2, -0.3]))).toBe('-0.2000 [-0.4484, 0.0484]');
    expect(formatDifference(meanCi95([0.42]))).toBe('0.4200 (1 seed: no CI)');
    // A difference that rounds to zero is not printed as -0.
    expect(formatDifference(meanCi95([-1e-9]))).toBe('0.0000 (1 seed: no CI)');
    expect(formatProportion(wilson95(3, 10))).toBe('0.300 [0.108, 0.603] (3/10)');
  });

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
    // mix (i = 4): 0.7 and 0.84.
    expect(md).toMatch(/\| mix: mix \(γ = 1\), 50% \| 0 \| 0\.7700 ± 0\.8894 \|/);
    // The sweep rows, then the configuration that set B.
    expect(md).toMatch(/\| 0\.00 \| 0 \| 0\.010 \| \d+ \| 1 \| all pairs \| 6\.0 \| 2\.0 \|/);
    expect(md).toMatch(/\| 0\.50 \| 0 \| 0\.375 \| \d+ \| \d+ \| 5 \| 6\.0 \| 2\.0 \|/);
    expect(md).toMatch(/\| mix \(sets B\) \| 0 \| 0\.375 \| 10 \| 10 \| 5 \|/);
    for (const c of fixtureResults().configurations) expect(md).toContain(c.kind === 'selection' ? `| ${c.name}: ` : `| ${(c.share ?? 0).toFixed(2)} |`);
  });

  it('names the scenario and the task source, and defines every number', () => {
    const md = renderReport(fixtureResults());
    expect(md).toContain('Scenario `hotpotqa` (built-in scenarios/builtin/hotpotqa.yaml), metric f1. Tasks generated by gen-ie');
    expect(md).toContain('task seed k + 1,000,000');
    expect(md).toContain('2 DPO seeds per run');
    for (const term of ['test f1', 'SFT', 'gain over SFT', 'vs `full`', 'batch-order SD', 'collapsed', 'zero-gradient share', 'DPO steps']) expect(md).toContain(`- **${term}**`);
    expect(md).not.toContain('**expected');
  });

  it('tabulates the paired differences with their verdicts, and each configuration against its SFT model', () => {
    const md = renderReport(fixtureResults([0, 1, 2], { expected: true }));
    expect(md).toContain('## Paired differences against `full`');
    expect(md).toContain('| random − full | 0 | test f1 | 0.0500, 0.0600, 0.0700 | 0.0600 | 0.0100 | [0.0352, 0.0848] | yes | 0.0447 / 0.0258 | no |');
    expect(md).toContain('| random − full | 0 | expected f1 at T = 0.7 | 0.0500, 0.0600, 0.0700 | 0.0600 | 0.0100 | [0.0352, 0.0848] | yes | 0.0141 / 0.0082 | yes |');
    expect(md).not.toContain('| full − full |');
    expect(md).toContain(
      '- `random` − `full`, test f1: 0.0600 [0.0352, 0.0848]; batch-order SD of the mean difference 0.0258 (of one seed\'s 0.0447) is not below a third of the effect (0.0200): ' +
        'batch order alone could make much of it; more DPO seeds or seeds are needed to trust it.',
    );
    expect(md).toContain('- `mix` − `full`, test f1: 0.2400 [0.1406, 0.3394]; batch-order SD of the mean difference 0.0589 (of one seed\'s 0.1020) is below a third of the effect (0.0800): batch order alone did not make it.');
    expect(md).toContain('- `random` − its SFT model, test f1: -0.0400 [-0.0648, -0.0152]; batch-order SD of the mean difference 0.0231');
    expect(md).toContain('## Against the SFT model');
    expect(md).toContain('| full | 0 | test f1 | 0.7000 ± 0.2484 | 0.6000 ± 0.2484 | -0.1000 [-0.1000, -0.1000] | 0.0283 / 0.0200 | 0.500 [0.188, 0.812] (3/6) | 0.400 / 0.100 | 4.0 |');
    expect(md).toContain('| full | 0 | expected f1 at T = 0.7 | 0.6000 ± 0.2484 | 0.5000 ± 0.2484 |');
    expect(md).toContain('- **expected f1 at T = 0.7**');
  });

  it('says when nothing is resolved, and when batch order was not measured', () => {
    expect(renderReport(fixtureResults())).toContain('- No interval excludes 0.');
    const one = fixtureResults([0, 1, 2]);
    for (const run of one.runs) for (const i of run.iterations) i.perDpoSeed = [{ metric: i.metric, meanTokens: i.meanTokens }];
    const md = renderReport({ ...one, base: { ...one.base, dpoSeeds: 1 }, summary: summarize(one.configurations, one.runs, 'full') });
    expect(md).toContain('batch-order noise not measured (1 DPO seed)');
    expect(md).toContain('– (1 DPO seed)');
  });

  it('says that one seed gives no interval', () => {
    const md = renderReport(fixtureResults([0]));
    expect(md).toContain('With 1 seed there is no confidence interval');
    expect(md).toContain('0.5000 (1 seed: no CI) | – |');
  });
});
