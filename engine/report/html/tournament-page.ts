/**
 * The report of a policy tournament (`dits compare --policies`): its settings, tournament.md's
 * tables, and every (policy, seed) run with a link to that run's own report (its trees).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../storage/files.ts';
import { dec, facts, int } from './format.ts';
import type { ReportPage } from './model.ts';
import { renderReportPage, REPORT_HTML } from './page.ts';

/** What the page reads of a tournament's results (actors/tournament.ts TournamentResults). */
export interface TournamentSummary {
  scenario: string;
  scenarioSource: string;
  metric: string;
  seeds: readonly number[];
  budgetTokens: number | null;
  entries: readonly { name: string; policy: { source: string; sha256?: string } }[];
  runs: readonly { policy: string; seed: number; dir: string; tasksSearched: number; rootValue: number; pairs: number; qTokens: number; testMetric: number; sftMetric: number }[];
}

export function tournamentPage(r: TournamentSummary, markdownHtml: string, hasReport: (dir: string) => boolean): ReportPage {
  return {
    title: `dits compare --policies: ${r.entries.map((e) => e.name).join(', ')} on ${r.scenario}`,
    subtitle: `${r.entries.length} policies × ${r.seeds.length} seeds, paired against ${r.entries[0]?.name ?? ''}`,
    sections: [
      {
        kind: 'table',
        title: 'Settings',
        note: 'From tournament.json.',
        table: facts([
          ['scenario', `${r.scenario} (${r.scenarioSource})`],
          ['metric', r.metric],
          ['seeds', r.seeds.join(', ')],
          ['budget', r.budgetTokens === null ? 'none: each policy spends its own selections x rollouts' : `${int(r.budgetTokens)} Q tokens per iteration`],
          ...r.entries.map((e): [string, string] => [`policy ${e.name}`, e.policy.sha256 ? `${e.policy.source} (sha256 ${e.policy.sha256.slice(0, 12)}…)` : e.policy.source]),
        ]),
      },
      { kind: 'markdown', title: 'Report', html: markdownHtml },
      {
        kind: 'table',
        title: 'Runs',
        note: 'Every (policy, seed) run folder under runs/; each has its own report with its search trees.',
        table: {
          header: ['policy', 'seed', 'tasks searched', 'root value', 'pairs', 'Q tokens', `test ${r.metric}`, 'SFT', 'run'],
          rows: r.runs.map((x) => [
            x.policy,
            String(x.seed),
            int(x.tasksSearched),
            dec(x.rootValue),
            int(x.pairs),
            int(x.qTokens),
            dec(x.testMetric),
            dec(x.sftMetric),
            hasReport(x.dir) ? { text: 'report', href: `${x.dir}/${REPORT_HTML}` } : '–',
          ]),
        },
      },
    ],
  };
}

/** Writes `report.html` into a finished tournament folder. */
export async function writeTournamentReport(out: string, results: TournamentSummary, markdown: string): Promise<void> {
  const { markdownHtml } = await import('./markdown.ts');
  const page = tournamentPage(results, markdownHtml(markdown), (dir) => existsSync(join(out, dir, REPORT_HTML)));
  writeFileAtomic(join(out, REPORT_HTML), await renderReportPage(page));
}
