/**
 * report.html as the commands write it: the same for the same seed, and in a real headless
 * Chromium a page that loads with no console error, no exception and no request, whose tree
 * viewer opens and closes nodes on click and shows a node's utterance, and which renders
 * (screenshots that are not blank).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCompareReport } from '../../engine/report/html/compare-page.ts';
import { writeTournamentReport } from '../../engine/report/html/tournament-page.ts';
import type { TreeSet, ViewerData } from '../../engine/report/html/model.ts';
import { writeSearchReport } from '../../engine/report/html/search-page.ts';
import { compareSpec, renderSvg } from '../../engine/report/plot.ts';
import { renderReport } from '../../engine/report/table.ts';
import { cli, tempDir } from '../cli/helpers.ts';
import { fixtureResults } from '../compare/fixture.ts';
import { CHROMIUM, hasChromium, launch, openReport, pixelStats, type PageTrouble } from './browser.ts';
import { embeddedData, HAND_POLICY, handSummary, NO_DATASETS, writeHandFolder } from './folder.ts';

if (!hasChromium) console.warn(`report browser tests skipped: no Chromium at ${CHROMIUM} (Debian's chromium package; .ci/run installs it)`);

const dir = tempDir('dits-report-html-');
const SEARCH = ['search', '--scenario', 'hotpotqa', '--generate', '6', '--seed', '2', '--quiet'];
const RUN = ['run', '--iterations', '2', '--sft-tasks', '6', '--sft-samples', '2', '--search-tasks', '6', '--validation', '4', '--test-tasks', '6', '--dpo-seeds', '2', '--quiet'];
const html = (folder: string) => readFileSync(join(dir, folder, 'report.html'));

beforeAll(async () => {
  for (const [args, out] of [
    [SEARCH, 'search-a'],
    [SEARCH, 'search-b'],
    [RUN, 'run-a'],
    [RUN, 'run-b'],
  ] as const) {
    const r = await cli([...args, '--out', join(dir, out)]);
    expect(r.status, r.stderr).toBe(0);
  }
}, 180_000);

describe('report.html written by the commands', () => {
  it('is byte-identical for the same seed, and names no absolute path', async () => {
    for (const kind of ['search', 'run']) {
      const a = html(`${kind}-a`);
      expect(a.equals(html(`${kind}-b`)), kind).toBe(true);
      expect(a.toString().includes(dir), kind).toBe(false);
    }
  });

  it('is one per folder: a run\'s search stages leave their trees to the run\'s report', async () => {
    const trees = Object.values((embeddedData(html('run-a').toString()) as ViewerData).trees)[0] as TreeSet;
    expect(trees.total).toBe(12);
    expect(new Set(trees.trees.map((t) => t.source))).toEqual(new Set(['iteration 0', 'iteration 1']));
    // Run pairs carry what the probes and selection said of them.
    const fates = new Set(trees.trees.flatMap((t) => t.pairs.map((p) => p.fate)));
    expect([...fates].every((f) => ['selected', 'not selected', 'held out'].includes(f))).toBe(true);
    expect(fates.has('selected')).toBe(true);
    expect(() => readFileSync(join(dir, 'run-a', 'iter-0', 'search', 'report.html'))).toThrow(/ENOENT/);
  });
});

const noTrouble = (t: PageTrouble) => expect(t).toEqual({ console: [], errors: [], requests: [] });

describe.skipIf(!hasChromium)('report.html in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** A collapsed node with children, and the children the page's data gives it. */
  async function collapsedNode(page: Page): Promise<{ node: string; children: string[] }> {
    const node = (await page.locator('g.node[aria-expanded="false"]').first().getAttribute('data-node')) as string;
    const data = JSON.parse((await page.locator('#dits-data').textContent()) as string) as ViewerData;
    const tree = (Object.values(data.trees)[0] as TreeSet).trees[0];
    const children = (tree?.parent ?? []).flatMap((p, i) => (p === Number(node) ? [String(i)] : []));
    return { node, children };
  }

  for (const kind of ['search', 'run']) {
    it(`opens the ${kind} report with no console error, exception or request, and a click opens and closes a node`, async () => {
      const { page, trouble } = await openReport(browser, join(dir, `${kind}-a`, 'report.html'));
      await page.locator('g.node[data-node="0"]').waitFor();
      const { node, children } = await collapsedNode(page);
      expect(children.length).toBeGreaterThan(0);
      for (const c of children) expect(await page.locator(`g.node[data-node="${c}"]`).count()).toBe(0);
      await page.locator(`g.node[data-node="${node}"]`).click();
      for (const c of children) await expect(page.locator(`g.node[data-node="${c}"]`).isVisible()).resolves.toBe(true);
      expect(await page.locator(`g.node[data-node="${node}"]`).getAttribute('aria-expanded')).toBe('true');
      expect(await page.locator('.tree-details h4').textContent()).toMatch(new RegExp(`^node ${node}: `));
      await page.locator(`g.node[data-node="${node}"]`).click();
      for (const c of children) expect(await page.locator(`g.node[data-node="${c}"]`).count()).toBe(0);
      noTrouble(trouble);
      await page.close();
    });
  }

  it('renders: the tree and the charts are drawn, and screenshots are not blank', async () => {
    const { page, trouble } = await openReport(browser, join(dir, 'run-a', 'report.html'));
    await page.locator('g.node[data-node="0"]').waitFor();
    await page.locator('button', { hasText: 'expand all' }).click();
    expect(await page.locator('svg.chart').count()).toBe(2);
    // Lines and points of both charts, and every node of the first tree once expanded.
    expect(await page.locator('svg.chart circle').count()).toBeGreaterThan(4);
    const canvas = page.locator('.tree-canvas');
    const box = await canvas.boundingBox();
    expect(box?.width).toBeGreaterThan(300);
    const tree = pixelStats(await canvas.screenshot());
    expect(tree.nonBackground / (tree.width * tree.height)).toBeGreaterThan(0.01);
    expect(tree.colours).toBeGreaterThan(20);
    const chart = pixelStats(await page.locator('svg.chart').first().screenshot());
    expect(chart.nonBackground).toBeGreaterThan(500);
    noTrouble(trouble);
    await page.close();
  });

  it('switches trees with the task picker', async () => {
    const { page, trouble } = await openReport(browser, join(dir, 'search-a', 'report.html'));
    const picker = page.locator('select.tree-picker');
    expect(await picker.locator('option').count()).toBe(6);
    await picker.selectOption('3');
    expect(await page.locator('g.node[data-node="0"] text').first().textContent()).toBe('root (task gen-ie-3)');
    noTrouble(trouble);
    await page.close();
  });

  it('shows a hostile utterance as text and runs none of it', async () => {
    const folder = join(dir, 'hostile');
    const evil = 'Bob: </script><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">';
    writeHandFolder(folder, 2, () => evil);
    await writeSearchReport(folder, { scenario: 'hotpotqa', policy: HAND_POLICY, seed: 0, summary: handSummary(2), datasets: NO_DATASETS });
    const { page, trouble } = await openReport(browser, join(folder, 'report.html'));
    await page.locator('g.node[data-node="1"]').click();
    await page.locator('g.node[data-node="2"]').click();
    expect(await page.locator('.tree-details .utterance').textContent()).toBe(evil);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    noTrouble(trouble);
    await page.close();
  });

  it('opens a tournament report, its tables and runs, with no console error', async () => {
    const folder = join(dir, 'tournament');
    const run = (policy: string, seed: number) => ({ policy, seed, dir: `runs/${policy}-seed${seed}`, tasksSearched: 8, rootValue: 0.4, pairs: 20, qTokens: 30_000, testMetric: 0.7, sftMetric: 0.65 });
    const summary = {
      scenario: 'hotpotqa',
      scenarioSource: 'built-in',
      metric: 'f1',
      seeds: [0, 1],
      budgetTokens: 40_000,
      entries: [{ name: 'optima', policy: { source: 'optima' } }, { name: '<mine>', policy: { source: '/tmp/<mine>.ts', sha256: 'ab'.repeat(32) } }],
      runs: [run('optima', 0), run('<mine>', 0), run('optima', 1), run('<mine>', 1)],
    };
    await writeTournamentReport(folder, summary, '# Policy tournament\n\n| policy | test |\n| --- | --- |\n| optima | 0.7 |\n');
    const { page, trouble } = await openReport(browser, join(folder, 'report.html'));
    expect(await page.locator('.markdown table').count()).toBe(1);
    expect(await page.getByText('<mine>', { exact: true }).count()).toBeGreaterThan(0);
    noTrouble(trouble);
    await page.close();
  });

  it('opens a compare report, its plot inline, with no console error', async () => {
    const folder = join(dir, 'compare');
    const results = fixtureResults();
    await writeCompareReport(folder, { results, markdown: renderReport(results), plot: await renderSvg(compareSpec(results)) });
    const { page, trouble } = await openReport(browser, join(folder, 'report.html'));
    expect(await page.locator('figure svg').count()).toBe(1);
    expect(await page.locator('.markdown table').count()).toBeGreaterThan(2);
    const plot = pixelStats(await page.locator('figure svg').screenshot());
    expect(plot.colours).toBeGreaterThan(20);
    noTrouble(trouble);
    await page.close();
  });
});
