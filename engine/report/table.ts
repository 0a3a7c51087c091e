/** The comparison as Markdown: a table per part of the preset, with the budget sweep's mapping spelled out. */
import { METERS } from '../budget.ts';
import { CALIBRATION_SOURCE, ONE_GROUP, type Configuration } from './plan.ts';
import type { CompareResults, MeterMean, SummaryRow } from './results.ts';
import type { MeanCi } from './stats.ts';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const dec = (n: number, d: number) => n.toFixed(d);

/** `0.8120 ± 0.0540`, or `0.8120 (1 seed: no CI)`. */
export function formatMeanCi(m: MeanCi, digits = 4): string {
  return m.half === null ? `${dec(m.mean, digits)} (1 seed: no CI)` : `${dec(m.mean, digits)} ± ${dec(m.half, digits)}`;
}

/** `[0.7580, 0.8660]`, or `–` without an interval. */
export function formatInterval(m: MeanCi, digits = 4): string {
  return m.lo === null || m.hi === null ? '–' : `[${dec(m.lo, digits)}, ${dec(m.hi, digits)}]`;
}

const meterCell = (m: MeterMean) => `${int(m.calls)} / ${int(m.tokens)}`;

/** A Markdown table; `|` inside cells is escaped. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The outcome columns every table ends with: the metric with its interval, tokens, pairs, and each meter. */
function outcomeHeaders(metric: string): string[] {
  return [`test ${metric} (mean ± 95% CI)`, '95% CI', 'tokens / test dialogue', 'pairs kept / candidates', ...METERS.map((m) => `${m} calls / tokens`)];
}

function outcomeCells(r: SummaryRow): string[] {
  return [
    formatMeanCi(r.metric),
    formatInterval(r.metric),
    dec(r.meanTokens, 1),
    `${dec(r.pairsKept, 1)} / ${dec(r.pairsCandidate, 1)}`,
    ...METERS.map((m) => meterCell(r.meters[m])),
  ];
}

function selectionTable(results: CompareResults, configs: readonly Configuration[]): string {
  const header = ['configuration', 'iteration', ...outcomeHeaders(results.metric)];
  const rows = rowsOf(results, configs).map(({ c, r }) => [`${c.name}: ${c.label}`, String(r.iteration), ...outcomeCells(r)]);
  return markdownTable(header, rows);
}

function budgetTable(results: CompareResults, configs: readonly Configuration[]): string {
  const header = [
    'influence share (target)',
    'iteration',
    'realised share',
    'search tasks',
    'V',
    'group size',
    'probes',
    'Q + influence tokens',
    ...outcomeHeaders(results.metric),
  ];
  const rows = rowsOf(results, configs).map(({ c, r }) => [
    c.kind === 'budget' ? dec(c.share ?? 0, 2) : `${c.name} (sets B)`,
    String(r.iteration),
    dec(r.influenceShare, 3),
    String(c.settings.searchTasks),
    String(c.settings.validationTasks),
    c.settings.groupSize >= ONE_GROUP ? 'all pairs' : String(c.settings.groupSize),
    dec(r.groups, 1),
    int(r.budgetTokens),
    ...outcomeCells(r),
  ]);
  return markdownTable(header, rows);
}

function rowsOf(results: CompareResults, configs: readonly Configuration[]): { c: Configuration; r: SummaryRow }[] {
  return configs.flatMap((c) => results.summary.filter((r) => r.configuration === c.name).map((r) => ({ c, r })));
}

export function renderReport(results: CompareResults): string {
  const { base } = results;
  const k = results.seeds.length;
  const selection = results.configurations.filter((c) => c.kind === 'selection');
  const budget = results.configurations.filter((c) => c.kind === 'budget');
  const calibration = selection.filter((c) => c.name === CALIBRATION_SOURCE);
  const out: string[] = [];
  out.push(`# dits compare: ${results.preset} on ${results.scenario}`);
  out.push('');
  out.push(
    `${k} seed${k === 1 ? '' : 's'} (${results.seeds.join(', ')}; seed k sets the run seed and the task seed), ${base.iterations} iteration${base.iterations === 1 ? '' : 's'}; ` +
      `base sizes: ${base.sftTasks} SFT tasks × ${base.sftSamples} samples, ${base.searchTasks} search tasks × 24 rollouts, ` +
      `V = ${base.validationTasks} validation tasks, group size ${base.groupSize}, ${base.testTasks} test tasks, α = ${base.alpha}. Simulated model.`,
  );
  out.push('');
  out.push(
    k === 1
      ? `Test ${results.metric} is the mean over the test tasks of one greedy dialogue each. With 1 seed there is no confidence interval.`
      : `Test ${results.metric} is the mean over the test tasks of one greedy dialogue each; mean ± half-width of the 95% Student t interval over the ${k} seeds ` +
          `(t(0.975, ${k - 1}) · sd / √${k}), not clipped to the metric's range. Calls and tokens are per iteration, means over the seeds; "calls" are sampling requests.`,
  );
  if (selection.length > 0) {
    out.push('');
    out.push('## Selection ablation (§5): same runs up to the selection, so equal budget');
    out.push('');
    out.push(selectionTable(results, selection));
  }
  if (budget.length > 0 && results.calibration) {
    const cal = results.calibration;
    out.push('');
    out.push('## Budget allocation sweep (§4): fixed Q + influence tokens, a growing share on influence');
    out.push('');
    out.push(
      `Budget B = ${int(cal.budget)} Q + influence tokens per iteration: what \`mix\` spent, mean of ${cal.observations} run-iterations. ` +
        `Calibrated from those runs: ${dec(cal.tokensPerSearchTask, 1)} Q tokens per search task (24 rollouts), ` +
        `${dec(cal.pairsPerSearchTask, 2)} candidate pairs per search task, ${dec(cal.tokensPerValidationDialogue, 1)} tokens per validation dialogue, ` +
        `normalizer ≈ 100 dialogues = ${int(cal.normalizerTokens)} tokens. ` +
        'A share s sets search tasks S = round(((1 − s)·B − normalizer) / tokens per search task) (at least 1), and the influence side gets the rest of B: ' +
        'V = round((B − normalizer − S·tokens per search task) / ((⌈pairs per task·S / g⌉ + 1) · tokens per validation dialogue)) ' +
        'at the base group size g, with mix selection (γ = 1); s = 0 selects by Q and runs the cheapest probes stage the pipeline allows (V = 1, one group). ' +
        'The realised share is influence tokens / (Q + influence tokens) as metered.',
    );
    out.push('');
    out.push(budgetTable(results, [...budget, ...calibration]));
    const notes = budget.flatMap((c) => c.notes.map((n) => `- ${c.name}: ${n}`));
    if (notes.length > 0) out.push('', ...notes);
  }
  out.push('');
  return out.join('\n');
}
