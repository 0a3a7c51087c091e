/**
 * A report page as one self-contained HTML file: the eta template (every interpolation
 * escaped unless it is SVG or HTML dits rendered itself), the charts' and trees' data as JSON,
 * and the viewer script inline. A content security policy lets the page load nothing from
 * anywhere and run only that script. Nothing in it depends on time or place, so the same run
 * folder always gives the same bytes.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Eta } from 'eta';
import { viewerScript } from './bundle.ts';
import type { ReportPage, ViewerData } from './model.ts';

/** The file name, beside the run's other outputs. */
export const REPORT_HTML = 'report.html';

const TEMPLATES = fileURLToPath(new URL('./templates', import.meta.url));

// Imported when the first report is written, as plot.ts does with Vega: every CLI command loads
// this module, few write a report.
let eta: Promise<Eta> | undefined;
const engine = () => (eta ??= import('eta').then(({ Eta }) => new Eta({ views: TEMPLATES, autoEscape: true, cache: true })));

/**
 * JSON that can sit inside a <script> element: `<` only ever occurs inside JSON strings, and
 * written as \u003c it can neither close the element nor open a comment, while JSON.parse
 * reads back the same string.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function viewerData(page: ReportPage): ViewerData {
  const data: ViewerData = { charts: {}, trees: {} };
  page.sections.forEach((s, i) => {
    if (s.kind === 'chart') data.charts[i] = s.chart;
    if (s.kind === 'trees') data.trees[i] = s.trees;
  });
  return data;
}

export async function renderReportPage(page: ReportPage): Promise<string> {
  const script = await viewerScript();
  const hash = createHash('sha256').update(script).digest('base64');
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${hash}'; img-src data:`;
  return (await engine()).render('report', { page, csp, script, data: scriptJson(viewerData(page)) });
}
