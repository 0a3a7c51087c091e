/**
 * The report of a `dits search` folder: the settings and totals of summary.json, the datasets
 * written, and the tree viewer over the first trees.
 */
import { join } from 'node:path';
import type { DatasetSummary } from '../../export/index.ts';
import { writeFileAtomic } from '../../storage/files.ts';
import { dec, facts, int, params } from './format.ts';
import type { ReportPage, TreeSet } from './model.ts';
import { renderReportPage, REPORT_HTML } from './page.ts';
import { folderTrees, MAX_TREES } from './trees.ts';

/** What the report says about a search: its settings and summary.json's totals. */
export interface SearchFacts {
  scenario: string;
  policy: { name: string; params: Readonly<Record<string, unknown>>; selections: number; rollouts: number; temperature: number };
  seed: number;
  summary: {
    tasks: number;
    failedTasks: number;
    rollouts: number;
    nodes: number;
    pairs: number;
    sftExamples: number;
    normalizer: number;
    meanRootValue: number;
    stoppedByBudget: boolean;
  };
  datasets: DatasetSummary;
}

/** Where the trees left out of a page can be seen. */
const TREE_SHOW_HINT = 'dits tree show FOLDER --task ID prints any tree of a search folder';

export function treeNote(shown: number, total: number, how: string): string {
  if (shown >= total) return `All ${total} trees of the folder.`;
  return `${shown} of ${total} trees are in this page (${how}); ${total - shown} are left out. ${TREE_SHOW_HINT}.`;
}

export function searchPage(f: SearchFacts, trees: TreeSet): ReportPage {
  const s = f.summary;
  const p = f.policy;
  // Files are keyed `<format>/<file>`: one row per format, one column per file name.
  const files = Object.entries(f.datasets.files).map(([key, rows]) => ({ format: key.slice(0, key.indexOf('/')), file: key.slice(key.indexOf('/') + 1), rows }));
  const formats = [...new Set(files.map((x) => x.format))];
  const names = [...new Set(files.map((x) => x.file))];
  const datasetRows = formats.map((fmt) => [`datasets/${fmt}/`, ...names.map((n) => {
    const found = files.find((x) => x.format === fmt && x.file === n);
    return found ? int(found.rows) : '–';
  })]);
  return {
    title: `dits search: ${f.scenario}, policy ${p.name}, seed ${f.seed}`,
    subtitle: `${int(s.tasks)} tasks searched, ${int(s.pairs)} preference pairs, ${int(s.sftExamples)} SFT examples`,
    sections: [
      {
        kind: 'table',
        title: 'Summary',
        note: 'From summary.json and the search settings (manifest.json).',
        table: facts([
          ['scenario', f.scenario],
          ['policy', `${p.name} (${params(p.params)})`],
          ['budget per task', `${p.selections} selections × ${p.rollouts} rollouts at T = ${p.temperature}`],
          ['seed', String(f.seed)],
          ['tasks searched', int(s.tasks)],
          ['tasks failed (failures.jsonl)', int(s.failedTasks)],
          ['stopped by the Q budget', s.stoppedByBudget ? 'yes' : 'no'],
          ['rollouts', int(s.rollouts)],
          ['nodes', int(s.nodes)],
          ['preference pairs (pairs.jsonl)', int(s.pairs)],
          ['SFT examples', int(s.sftExamples)],
          ['token normalizer M', int(s.normalizer)],
          ['mean root Q', dec(s.meanRootValue)],
        ]),
      },
      // A search with no --formats wrote no datasets.
      ...(formats.length === 0
        ? []
        : [
            {
              kind: 'table' as const,
              title: 'Datasets',
              note: `Train/test split: DPO ${f.datasets.split.dpo.train} / ${f.datasets.split.dpo.test} pairs, SFT ${f.datasets.split.sft.train} / ${f.datasets.split.sft.test} examples (the same in every format).`,
              table: { header: ['format', ...names.map((n) => `${n} rows`)], rows: datasetRows },
            },
          ]),
      { kind: 'trees', title: 'Search trees', trees },
    ],
  };
}

/** Writes `report.html` into a finished search folder. */
export async function writeSearchReport(out: string, f: SearchFacts): Promise<void> {
  const trees = await folderTrees(out, { source: '', limit: MAX_TREES });
  const set: TreeSet = { trees, total: f.summary.tasks, note: treeNote(trees.length, f.summary.tasks, `the first ${MAX_TREES} in task order`) };
  writeFileAtomic(join(out, REPORT_HTML), await renderReportPage(searchPage(f, set)));
}
