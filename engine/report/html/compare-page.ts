/**
 * The report of a `dits compare` folder: its settings, plot.svg inline, report.md's tables and
 * definitions, and every run it holds with a link to that run's own report (trees included).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../storage/files.ts';
import type { CompareResults, IterationResult } from '../results.ts';
import { dec, facts, int } from './format.ts';
import type { Cell, ReportPage, Table } from './model.ts';
import { renderReportPage, REPORT_HTML } from './page.ts';

export interface CompareFiles {
  results: CompareResults;
  /** report.md as written, rendered to HTML. */
  markdownHtml: string;
  /** plot.svg as written. */
  plot: string;
}

/** One row per run and iteration; `hasReport` says whether the run folder has its report.html to link to. */
function runsTable(r: CompareResults, hasReport: (dir: string) => boolean): Table {
  const row = (run: CompareResults['runs'][number], i: IterationResult): Cell[] => [
    run.configuration,
    String(run.seed),
    String(i.iteration),
    dec(i.metric),
    i.perDpoSeed.map((s) => dec(s.metric)).join(' '),
    dec(i.sft.metric),
    dec(i.meanTokens, 1),
    `${int(i.pairsKept)} / ${int(i.pairsCandidate)}`,
    int(i.dpoSteps),
    int(i.meters.q.tokens),
    int(i.meters.influence.tokens),
    hasReport(run.dir) ? { text: 'report', href: `${run.dir}/${REPORT_HTML}` } : '–',
  ];
  return {
    header: ['configuration', 'seed', 'iteration', `test ${r.metric}`, 'each DPO seed', 'SFT', 'tokens / test dialogue', 'pairs kept / candidates', 'DPO steps', 'Q tokens', 'influence tokens', 'run'],
    rows: r.runs.flatMap((run) => run.iterations.map((i) => row(run, i))),
  };
}

export function comparePage(f: CompareFiles, hasReport: (dir: string) => boolean): ReportPage {
  const r = f.results;
  return {
    title: `dits compare: ${r.preset} on ${r.scenario}`,
    subtitle: `${r.configurations.length} configurations × ${r.seeds.length} seeds, paired against ${r.reference}`,
    sections: [
      {
        kind: 'table',
        title: 'Settings',
        note: 'From results.json.',
        table: facts([
          ['preset', r.preset],
          ['scenario', `${r.scenario} (${r.scenarioSource})`],
          ['tasks', 'file' in r.tasks ? `${r.tasks.file} (${r.tasks.format}), the same for every seed` : `${r.tasks.generator}, task seed = seed, validation task seed = seed + ${int(r.tasks.validationSeedOffset)}`],
          ['metric', r.metric],
          ['seeds', r.seeds.join(', ')],
          ['reference', r.reference],
          ['configurations', r.configurations.map((c) => c.name).join(', ')],
          ['DPO seeds per run', String(r.base.dpoSeeds)],
          ['test tasks per run', int(r.base.testTasks)],
          ['expected metric', r.expectedTemperature === null ? 'not measured' : `at T = ${r.expectedTemperature}`],
          ['budget sweep', r.calibration ? `B = ${int(r.calibration.budget)} Q + influence tokens per iteration, shares ${r.shares.join(', ')}` : undefined],
        ]),
      },
      { kind: 'svg', title: 'Plot', note: 'plot.svg', svg: f.plot },
      { kind: 'markdown', title: 'Report', html: f.markdownHtml },
      { kind: 'table', title: 'Runs', note: 'Every (configuration, seed) run folder under runs/; each run has its own report with its search trees.', table: runsTable(r, hasReport) },
    ],
  };
}

/** Writes `report.html` into a finished comparison folder. */
export async function writeCompareReport(out: string, f: { results: CompareResults; markdown: string; plot: string }): Promise<void> {
  // marked is loaded only here: every CLI command loads this module, one writes a comparison.
  const { markdownHtml } = await import('./markdown.ts');
  const page = comparePage({ results: f.results, markdownHtml: markdownHtml(f.markdown), plot: f.plot }, (dir) => existsSync(join(out, dir, REPORT_HTML)));
  writeFileAtomic(join(out, REPORT_HTML), await renderReportPage(page));
}
