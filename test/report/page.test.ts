/**
 * The HTML generator: model output and user-chosen names never become markup, the page embeds
 * a bounded number of trees and says how many it left out, pairs land on their nodes, and the
 * same folder gives the same bytes.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markdownHtml } from '../../engine/report/html/markdown.ts';
import type { TreeSet, ViewerData } from '../../engine/report/html/model.ts';
import { renderReportPage, scriptJson } from '../../engine/report/html/page.ts';
import { searchPage, writeSearchReport } from '../../engine/report/html/search-page.ts';
import { folderTrees, MAX_TREES, readPairsOf } from '../../engine/report/html/trees.ts';
import { embeddedData, HAND_POLICY, handSummary, NO_DATASETS, writeHandFolder } from './folder.ts';

const temp = () => mkdtempSync(join(tmpdir(), 'dits-report-'));
const HOSTILE = 'Bob: </script><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> & <!-- done';

describe('report page', () => {
  it('keeps an utterance holding </script> and markup as text: the page has no such markup, the viewer gets the exact string', async () => {
    const dir = temp();
    writeHandFolder(dir, 3, (k) => (k === 1 ? HOSTILE : `Bob: fact ${k}`));
    await writeSearchReport(dir, { scenario: 'hotpotqa', policy: HAND_POLICY, seed: 1, summary: handSummary(3), datasets: NO_DATASETS });
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    // (Booleans, not toContain: a failure would print the whole page.)
    expect(html.includes('<script>window.pwned'), 'a script element from the utterance').toBe(false);
    expect(html.includes('<img'), 'an img element from the utterance').toBe(false);
    // Two script elements only: the JSON data and the viewer.
    expect(html.match(/<script/g)).toHaveLength(2);
    const data = embeddedData(html) as ViewerData;
    const trees = Object.values(data.trees)[0] as TreeSet;
    expect(trees.trees[1]?.text).toContain(HOSTILE);
  });

  it('escapes names in the tables and allows only its own script by hash', async () => {
    const page = searchPage(
      { scenario: '<b>bold</b>', policy: { ...HAND_POLICY, name: 'x"><script>' }, seed: 0, summary: handSummary(0), datasets: NO_DATASETS },
      { trees: [], total: 0, note: '' },
    );
    const html = await renderReportPage(page);
    expect(html.includes('&lt;b&gt;bold&lt;/b&gt;')).toBe(true);
    expect(html.includes('<b>bold')).toBe(false);
    expect(html.includes('x"><script>')).toBe(false);
    const script = /<script>([\s\S]*)<\/script>\s*<\/body>/.exec(html)?.[1] as string;
    const hash = createHash('sha256').update(script).digest('base64');
    expect(html.includes(`script-src &#39;sha256-${hash}&#39;`)).toBe(true);
    expect(html.includes("default-src &#39;none&#39;")).toBe(true);
  });

  it('writes < inside embedded JSON as \\u003c, which parses back to the same value', () => {
    const value = { s: '</script><!--', n: [1, 2] };
    const text = scriptJson(value);
    expect(text).not.toContain('<');
    expect(JSON.parse(text)).toEqual(value);
  });

  it('shows raw HTML and links of Markdown as text', () => {
    const html = markdownHtml('# Title\n\nscenario <script>x()</script> and [click](javascript:alert(1))\n\n| a | b |\n|---|---|\n| 1 | 2 |\n');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('href');
    expect(html).toContain('click');
    expect(html).toContain('<table>');
    // Below the page's own h1 and section headings.
    expect(html).toContain('<h3>Title</h3>');
  });
});

describe('report trees', () => {
  it(`embeds at most ${MAX_TREES} trees and says how many it left out`, async () => {
    const dir = temp();
    writeHandFolder(dir, MAX_TREES + 7);
    await writeSearchReport(dir, { scenario: 'hotpotqa', policy: HAND_POLICY, seed: 1, summary: handSummary(MAX_TREES + 7), datasets: NO_DATASETS });
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    const set = Object.values((embeddedData(html) as ViewerData).trees)[0] as TreeSet;
    expect(set.trees.map((t) => t.taskId)).toEqual(Array.from({ length: MAX_TREES }, (_, k) => `task-${k}`));
    expect(set.total).toBe(MAX_TREES + 7);
    expect(html.includes(`${MAX_TREES} of ${MAX_TREES + 7} trees are in this page`)).toBe(true);
    expect(html.includes('7 are left out')).toBe(true);
  });

  it('reads pairs.jsonl only as far as the embedded tasks go', async () => {
    const dir = temp();
    writeHandFolder(dir, 10);
    const pairs = await readPairsOf(join(dir, 'pairs.jsonl'), new Set(['task-0', 'task-1', 'task-2']));
    expect(pairs.map((p) => [p.index, p.pair.task_id])).toEqual([
      [0, 'task-0'],
      [1, 'task-1'],
      [2, 'task-2'],
    ]);
  });

  it('puts each pair on its split node and its chosen and rejected children, with the facts given per pairs.jsonl line', async () => {
    const dir = temp();
    writeHandFolder(dir, 4);
    const trees = await folderTrees(dir, { source: 'iteration 0', limit: 2, factsOf: (line) => ({ influence: line / 10, fate: line === 0 ? 'selected' : 'held out' }) });
    expect(trees).toHaveLength(2);
    expect(trees[1]?.source).toBe('iteration 0');
    expect(trees[0]?.pairs).toEqual([{ node: 1, chosen: 2, rejected: 3, chosenValue: 0.8, rejectedValue: -0.4, influence: 0, fate: 'selected' }]);
    expect(trees[1]?.pairs[0]).toMatchObject({ influence: 0.1, fate: 'held out' });
    // Q is the mean backed-up reward: the root saw 0.9, 0.7 and -0.4.
    expect(trees[0]?.q[0]).toBe(0.4);
    expect(trees[0]?.visits).toEqual([3, 3, 2, 1, 2]);
  });

  it('refuses a pair that does not fit its tree (the folder files disagree)', async () => {
    const dir = temp();
    writeHandFolder(dir, 2);
    const lines = readFileSync(join(dir, 'pairs.jsonl'), 'utf8').replace('"node_path":[0]', '"node_path":[5]');
    (await import('node:fs')).writeFileSync(join(dir, 'pairs.jsonl'), lines);
    await expect(folderTrees(dir, { source: '', limit: 2 })).rejects.toThrow(/task task-0 at node path \[5\]: no such node/);
  });

  it('gives the same bytes for the same folder', async () => {
    const a = temp();
    const b = temp();
    for (const d of [a, b]) {
      writeHandFolder(d, 5, (k) => (k === 2 ? HOSTILE : `Bob: fact ${k}`));
      await writeSearchReport(d, { scenario: 'hotpotqa', policy: HAND_POLICY, seed: 3, summary: handSummary(5), datasets: NO_DATASETS });
    }
    const html = readFileSync(join(a, 'report.html'));
    expect(html.equals(readFileSync(join(b, 'report.html')))).toBe(true);
    expect(html.toString().includes(a)).toBe(false);
  });
});
