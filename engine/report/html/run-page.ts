/**
 * The report of a `dits run` folder: its settings, the test metric and the budget meters per
 * iteration (charts and tables), what each iteration's stages wrote, and the tree viewer over
 * the iterations' searches.
 */
import { METERS, type MeterName, type MeterReading } from '../../base/budget.ts';
import type { IterationResult } from '../results.ts';
import { dec, int } from './format.ts';
import type { Cell, LineChart, ReportPage, Section, Table, TreeSet } from './model.ts';

/** An iteration as its files record it; `meters` is its own spend, `cumulative` the run's total after it. */
export interface RunIteration extends IterationResult {
  cumulative: Record<MeterName, MeterReading>;
  /** Spearman's ρ of probe influence against the first-order estimate (first-order.json); undefined when not written. */
  firstOrderRho?: number | null;
}

export interface RunPageInput {
  title: string;
  subtitle: string;
  /** The run's settings, from its manifest. */
  settings: Table;
  metric: string;
  iterations: RunIteration[];
  trees: TreeSet;
}

const label = (i: RunIteration) => `iteration ${i.iteration}`;

function metricChart(metric: string, its: readonly RunIteration[]): LineChart {
  const series: LineChart['series'] = [
    { name: 'DPO (mean over DPO seeds)', values: its.map((i) => i.metric) },
    // Dashed: where DPO changed nothing the two lines coincide, and both stay visible.
    { name: 'SFT', values: its.map((i) => i.sft.metric), dashed: true },
  ];
  if (its.some((i) => i.expected)) {
    const t = its.find((i) => i.expected)?.expected?.temperature;
    series.push({ name: `expected at T = ${t}, DPO`, values: its.map((i) => i.expected?.metric ?? null) });
    series.push({ name: `expected at T = ${t}, SFT`, values: its.map((i) => i.expected?.sft ?? null), dashed: true });
  }
  const seeds = Math.max(...its.map((i) => i.perDpoSeed.length));
  return {
    x: its.map(label),
    yLabel: `test ${metric}`,
    series,
    // With one DPO seed its point is the mean's; only several are worth drawing apart.
    ...(seeds > 1 ? { points: its.flatMap((i, x) => i.perDpoSeed.map((s) => ({ name: 'each DPO seed', x, y: s.metric }))) } : {}),
  };
}

function tokenChart(its: readonly RunIteration[]): LineChart {
  return { x: its.map(label), yLabel: 'tokens spent in the iteration', series: METERS.map((m) => ({ name: m, values: its.map((i) => i.meters[m].tokens) })) };
}

function resultsTable(metric: string, its: readonly RunIteration[]): Table {
  const expected = its.some((i) => i.expected);
  const planted = its.some((i) => i.planted);
  const firstOrder = its.some((i) => i.firstOrderRho !== undefined);
  const stats = its.some((i) => i.pairStats);
  const header = [
    'iteration',
    `test ${metric}`,
    'each DPO seed',
    'SFT',
    'DPO − SFT',
    'tokens / test dialogue',
    ...(expected ? ['expected (DPO / SFT)'] : []),
    'pairs kept / candidates',
    'probe groups',
    'DPO steps',
    ...(stats ? ['zero-gradient pairs (candidates / kept)'] : []),
    ...(firstOrder ? ['ρ probe vs first-order'] : []),
    ...(planted ? ['planted kept (harmful / helpful)'] : []),
  ];
  const rows = its.map((i): Cell[] => [
    String(i.iteration),
    dec(i.metric),
    i.perDpoSeed.map((s) => dec(s.metric)).join(' '),
    dec(i.sft.metric),
    dec(i.metric - i.sft.metric),
    dec(i.meanTokens, 1),
    ...(expected ? [i.expected ? `${dec(i.expected.metric)} / ${dec(i.expected.sft)} at T = ${i.expected.temperature} (mass ≥ ${dec(i.expected.minMass)})` : '–'] : []),
    `${int(i.pairsKept)} / ${int(i.pairsCandidate)}`,
    int(i.groups),
    int(i.dpoSteps),
    ...(stats ? [i.pairStats ? `${i.pairStats.zeroGradient} / ${i.pairStats.selectedZeroGradient}` : '–'] : []),
    ...(firstOrder ? [i.firstOrderRho === undefined || i.firstOrderRho === null ? '–' : dec(i.firstOrderRho, 3)] : []),
    ...(planted ? [i.planted ? `${i.planted.harmful.kept}/${i.planted.harmful.planted} / ${i.planted.helpful.kept}/${i.planted.helpful.planted}` : '–'] : []),
  ]);
  return { header, rows };
}

function metersTable(its: readonly RunIteration[]): Table {
  const cell = (r: MeterReading) => `${int(r.calls)} / ${int(r.tokens)}`;
  return {
    header: ['iteration', ...METERS.map((m) => `${m}: calls / tokens`), ...METERS.map((m) => `${m} total after it`)],
    rows: its.map((i) => [String(i.iteration), ...METERS.map((m) => cell(i.meters[m])), ...METERS.map((m) => cell(i.cumulative[m]))]),
  };
}

export function runPage(r: RunPageInput): ReportPage {
  const sections: Section[] = [
    { kind: 'table', title: 'Settings', note: 'From manifest.json.', table: r.settings },
    {
      kind: 'chart',
      title: `Test ${r.metric} per iteration`,
      note: 'One greedy dialogue per test task (eval.json); the DPO line is the mean over the DPO seeds, the SFT line the SFT model each DPO started from.',
      chart: metricChart(r.metric, r.iterations),
    },
    {
      kind: 'table',
      title: 'Per iteration',
      note: 'eval.json, selected.jsonl, influence.json, dpo.json, pair-stats.json, first-order.json and planted.json of each iter-<t>/.',
      table: resultsTable(r.metric, r.iterations),
    },
    { kind: 'chart', title: 'Budget per iteration', note: 'Tokens charged to each meter in the iteration (meters.json holds the running totals).', chart: tokenChart(r.iterations) },
    { kind: 'table', title: 'Meters', note: 'Calls / tokens per meter: spent in the iteration, then the running total (meters.json).', table: metersTable(r.iterations) },
    { kind: 'trees', title: 'Search trees', trees: r.trees },
  ];
  return { title: r.title, subtitle: r.subtitle, sections };
}
