/**
 * The comparison as Markdown: what every number means, the paired differences against the
 * reference with the verdicts they support, each configuration against its SFT model with its
 * batch-order noise and collapses, then a table per part of the preset with the budget sweep's
 * mapping spelled out.
 */
import { METERS } from '../base/budget.ts';
import { CALIBRATION_SOURCE, ONE_GROUP, type Configuration } from './plan.ts';
import { COLLAPSE_MARGIN, type BatchOrderNoise, type CompareResults, type MeasureSummary, type MeterMean, type PairedDifference, type SummaryRow } from './results.ts';
import type { MeanCi, Proportion } from './stats.ts';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
// A difference that rounds to zero reads as 0, not -0.
const dec = (n: number, d: number) => n.toFixed(d).replace(/^-(0\.?0*)$/, '$1');

/** `0.8120 ± 0.0540`, or `0.8120 (1 seed: no CI)`. */
export function formatMeanCi(m: MeanCi, digits = 4): string {
  return m.half === null ? `${dec(m.mean, digits)} (1 seed: no CI)` : `${dec(m.mean, digits)} ± ${dec(m.half, digits)}`;
}

/** `[0.7580, 0.8660]`, or `–` without an interval. */
export function formatInterval(m: MeanCi, digits = 4): string {
  return m.lo === null || m.hi === null ? '–' : `[${dec(m.lo, digits)}, ${dec(m.hi, digits)}]`;
}

/**
 * `59s`, `2m00s`, `1h05m`: rounded (to `step` seconds) before it is split, so 119.6 s is `2m00s`,
 * never `1m60s`.
 */
export function formatDuration(ms: number, step = 1): string {
  const s = Math.round(ms / 1000 / step) * step;
  const two = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  // From `ms`, not from `s`: rounding twice could move it by more than half a minute.
  const m = Math.round(ms / 60_000);
  return `${Math.floor(m / 60)}h${two(m % 60)}m`;
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
    'DPO steps',
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
    dec(r.dpoSteps, 1),
    int(r.budgetTokens),
    ...outcomeCells(r),
  ]);
  return markdownTable(header, rows);
}

/** Per configuration and iteration, the planted pairs the selection kept, means over the seeds; null without planted runs. */
function plantedTable(results: CompareResults): string | null {
  const rows: string[][] = [];
  for (const c of results.configurations) {
    const runs = results.runs.filter((r) => r.configuration === c.name);
    const iterations = Math.max(0, ...runs.map((r) => r.iterations.length));
    for (let t = 0; t < iterations; t++) {
      const counts = runs.flatMap((r) => r.iterations[t]?.planted ?? []);
      if (counts.length === 0) continue;
      const avg = (f: (p: (typeof counts)[number]) => number) => dec(counts.reduce((s, p) => s + f(p), 0) / counts.length, 1);
      rows.push([c.name, String(t), `${avg((p) => p.harmful.kept)} / ${avg((p) => p.harmful.planted)}`, `${avg((p) => p.helpful.kept)} / ${avg((p) => p.helpful.planted)}`]);
    }
  }
  return rows.length === 0 ? null : markdownTable(['configuration', 'iteration', 'harmful kept / planted', 'helpful kept / planted'], rows);
}

function rowsOf(results: CompareResults, configs: readonly Configuration[]): { c: Configuration; r: SummaryRow }[] {
  return configs.flatMap((c) => results.summary.filter((r) => r.configuration === c.name).map((r) => ({ c, r })));
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `-0.0500 [-0.0800, -0.0200]`, or `-0.0500 (1 seed: no CI)`. */
export function formatDifference(d: MeanCi, digits = 4): string {
  return d.lo === null || d.hi === null ? `${dec(d.mean, digits)} (1 seed: no CI)` : `${dec(d.mean, digits)} ${formatInterval(d, digits)}`;
}

/** `0.125 [0.034, 0.360] (3/24)`. */
export function formatProportion(p: Proportion): string {
  return `${dec(p.share, 3)} [${dec(p.lo, 3)}, ${dec(p.hi, 3)}] (${p.successes}/${p.n})`;
}

const yesNo = (b: boolean | null) => (b === null ? '–' : b ? 'yes' : 'no');
const orDash = (n: number | null | undefined, digits: number) => (n === null || n === undefined ? '–' : dec(n, digits));
const batchOrderCell = (b: BatchOrderNoise | null) => (b === null ? '– (1 DPO seed)' : `${dec(b.perModel, 4)} / ${dec(b.runMean, 4)}`);

/** The metrics a row carries, each with its name in the report: the greedy test metric, then the expected one when measured. */
function measuresOf(results: CompareResults, r: SummaryRow): { name: string; m: MeasureSummary; greedy: boolean }[] {
  const expected = r.expected ? [{ name: `expected ${results.metric} at T = ${r.expected.temperature}`, m: r.expected, greedy: false }] : [];
  return [{ name: `test ${results.metric}`, m: r, greedy: true }, ...expected];
}

function definitions(results: CompareResults): string[] {
  const { base, metric, reference } = results;
  const k = results.seeds.length;
  const d = base.dpoSeeds;
  return [
    '## What the numbers mean',
    '',
    `- **test ${metric}**: one greedy (T = 0) dialogue per test task, mean over the ${base.testTasks} test tasks; a run's value is the mean over its ${plural(d, 'DPO model')}. ` +
      (k === 1
        ? 'With 1 seed there is no confidence interval.'
        : `Over seeds: mean ± half-width of the 95% Student t interval (t(0.975, ${k - 1}) · sd / √${k}), not clipped to the metric's range.`),
    ...(results.expectedTemperature !== null
      ? [
          `- **expected ${metric} at T = ${results.expectedTemperature}**: the exact expected metric of a test task when every agent samples at T = ${results.expectedTemperature}, ` +
            "from the simulated model's whole dialogue tree (no sampling noise), mean over the test tasks; a run's value is the mean over its DPO models.",
        ]
      : []),
    "- **SFT**: the seed's SFT model, where every DPO seed's training starts (same tasks, greedy).",
    '- **gain over SFT**: per seed, the run\'s value minus its SFT model\'s; mean and 95% t interval over seeds.',
    `- **vs \`${reference}\`** (the reference): per seed, the configuration's value minus \`${reference}\`'s on the same seed - the same test tasks and, in the selection ablation, ` +
      'the same SFT model and candidate pool (the budget sweep searches other tasks); mean, SD and 95% t interval of the per-seed differences. ' +
      '"excludes 0": the seeds resolve the sign of the difference.',
    `- **batch-order SD**: per run, the SD of the test metric across its ${plural(d, 'DPO seed')} (the same pairs from the same SFT model, only the batch order differs), ` +
      `pooled over the configuration's runs as the root mean of the variances: what batch order alone does to one DPO model. Of a run's mean: that / √${d}. ` +
      "For a paired difference, one seed's difference has the batch-order SD √(a² + b²) of the two run-mean SDs (the SFT model has none), " +
      `and the mean difference over the seeds that / √${k}. ` +
      'For every difference whose interval excludes 0 the report says whether the mean difference\'s batch-order SD is below a third of the effect: ' +
      'if it is, batch order alone did not make the effect (it would take a 3-SD draw); if not, more DPO seeds or seeds are needed to trust it.' +
      (d === 1 ? ' With 1 DPO seed per run it is not measured.' : ''),
    `- **collapsed**: a DPO model whose test ${metric} is more than ${COLLAPSE_MARGIN} below its SFT model's; the share of the configuration's seeds × DPO seeds, with Wilson's 95% interval.`,
    '- **zero-gradient share**: candidate pairs (and selected pairs) whose DPO gradient at the SFT model is exactly 0: they fill batches and teach nothing. Mean over seeds.',
    '- **DPO steps**: optimizer steps of each final DPO, epochs × ⌈selected pairs / batch size⌉ (the run recipe, `dpo.json`): the full set takes about 1/α times the steps of a selection.',
    '- Calls and tokens are per iteration, means over the seeds; "calls" are sampling requests; evaluation counts every DPO model and the SFT model.',
  ];
}

function pairedTable(results: CompareResults): string {
  const header = [
    'configuration',
    'iteration',
    'metric',
    'per-seed differences',
    'mean',
    'SD',
    '95% t interval',
    'excludes 0',
    "batch-order SD: one seed's difference / the mean",
    'below a third of the effect',
  ];
  const rows = results.summary.flatMap((r) =>
    measuresOf(results, r).flatMap(({ name, m }) => {
      const d = m.vsReference;
      if (!d) return [];
      return [
        [
          `${r.configuration} − ${d.minus}`,
          String(r.iteration),
          name,
          d.perSeed.map((p) => dec(p.difference, 4)).join(', '),
          dec(d.mean, 4),
          orDash(d.sd, 4),
          formatInterval(d),
          yesNo(d.excludesZero),
          d.batchOrderSd === null ? '– (1 DPO seed)' : `${dec(d.batchOrderSdPerSeed as number, 4)} / ${dec(d.batchOrderSd, 4)}`,
          yesNo(d.batchOrderBelowThird),
        ],
      ];
    }),
  );
  return markdownTable(header, rows);
}

/** One line per difference the seeds resolve: the effect and whether batch order could make it. */
function verdict(r: SummaryRow, name: string, d: PairedDifference): string {
  const other = d.minus === 'sft' ? 'its SFT model' : `\`${d.minus}\``;
  const effect = `\`${r.configuration}\` − ${other}${r.iteration > 0 ? ` (iteration ${r.iteration})` : ''}, ${name}: ${formatDifference(d)}`;
  if (d.batchOrderSd === null) return `- ${effect}; batch-order noise not measured (1 DPO seed).`;
  const noise = `batch-order SD of the mean difference ${dec(d.batchOrderSd, 4)} (of one seed's ${dec(d.batchOrderSdPerSeed as number, 4)})`;
  const third = dec(Math.abs(d.mean) / 3, 4);
  return d.batchOrderBelowThird
    ? `- ${effect}; ${noise} is below a third of the effect (${third}): batch order alone did not make it.`
    : `- ${effect}; ${noise} is not below a third of the effect (${third}): batch order alone could make much of it; more DPO seeds or seeds are needed to trust it.`;
}

function verdicts(results: CompareResults, which: 'vsReference' | 'gainOverSft'): string[] {
  const lines = results.summary.flatMap((r) =>
    measuresOf(results, r).flatMap(({ name, m }) => {
      const d = m[which];
      return d?.excludesZero ? [verdict(r, name, d)] : [];
    }),
  );
  return lines.length > 0 ? lines : ['- No interval excludes 0.'];
}

function sftTable(results: CompareResults): string {
  const header = [
    'configuration',
    'iteration',
    'metric',
    'SFT (mean ± 95% CI)',
    'DPO models (mean ± 95% CI)',
    'gain over SFT (95% t interval)',
    'batch-order SD: one DPO model / a run\'s mean',
    `collapsed DPO models (Wilson 95%)`,
    'zero-gradient share: candidates / selected',
    'DPO steps',
  ];
  const rows = results.summary.flatMap((r) =>
    measuresOf(results, r).map(({ name, m, greedy }) => [
      r.configuration,
      String(r.iteration),
      name,
      formatMeanCi(m.sft),
      formatMeanCi(m.metric),
      formatDifference(m.gainOverSft),
      batchOrderCell(m.batchOrder),
      // Collapses (defined on the greedy metric), zero gradients and steps belong to the runs: on the greedy line only.
      greedy ? formatProportion(r.collapse) : '',
      greedy ? (r.zeroGradientShare ? `${orDash(r.zeroGradientShare.candidates, 3)} / ${orDash(r.zeroGradientShare.selected, 3)}` : '–') : '',
      greedy ? dec(r.dpoSteps, 1) : '',
    ]),
  );
  return markdownTable(header, rows);
}

function header(results: CompareResults): string[] {
  const { base } = results;
  const k = results.seeds.length;
  return [
    `# dits compare: ${results.preset} on ${results.scenario}`,
    '',
    `Scenario \`${results.scenario}\` (${results.scenarioSource}), metric ${results.metric}. ${taskSourceText(results.tasks)} Simulated model, in process.`,
    '',
    `${plural(k, 'seed')} (${results.seeds.join(', ')}; seed k sets the run seed and the task seed), ${plural(base.iterations, 'iteration')}; ` +
      `base sizes: ${base.sftTasks} SFT tasks × ${base.sftSamples} samples, ${base.searchTasks} search tasks × 24 rollouts, ` +
      `V = ${base.validationTasks} validation tasks, group size ${base.groupSize}, ${base.testTasks} test tasks, α = ${base.alpha}; ` +
      `${plural(base.dpoSeeds, 'DPO seed')} per run: the final DPO trained ${base.dpoSeeds === 1 ? 'once' : `${base.dpoSeeds} times from the same SFT model on the same pairs, in ${base.dpoSeeds} batch orders, each evaluated`}.`,
  ];
}

/** Where a comparison's tasks came from, in a sentence. */
export function taskSourceText(tasks: CompareResults['tasks']): string {
  if ('file' in tasks) {
    return `Tasks from \`${tasks.file}\` (${tasks.format}), the same for every seed (a seed changes the run seed only), so every configuration is tested on the same tasks.`;
  }
  return (
    `Tasks generated by ${tasks.generator}: seed k draws its test, SFT and search tasks with task seed k and its validation tasks with task seed k + ${int(tasks.validationSeedOffset)}, ` +
    'so every configuration of a seed is tested on the same tasks.'
  );
}

export function renderReport(results: CompareResults): string {
  const selection = results.configurations.filter((c) => c.kind === 'selection');
  const budget = results.configurations.filter((c) => c.kind === 'budget');
  const calibration = selection.filter((c) => c.name === CALIBRATION_SOURCE);
  const out: string[] = [...header(results), '', ...definitions(results)];
  out.push('', `## Paired differences against \`${results.reference}\``, '', pairedTable(results), '');
  out.push(...verdicts(results, 'vsReference'));
  out.push('', '## Against the SFT model: gain, batch-order noise, collapses', '', sftTable(results), '');
  out.push(...verdicts(results, 'gainOverSft'));
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
        'The realised share is influence tokens / (Q + influence tokens) as metered. A share with fewer search tasks has fewer candidate pairs, ' +
        'so fewer selected pairs and fewer DPO steps.',
    );
    out.push('');
    out.push(budgetTable(results, [...budget, ...calibration]));
    const notes = budget.flatMap((c) => c.notes.map((n) => `- ${c.name}: ${n}`));
    if (notes.length > 0) out.push('', ...notes);
  }
  const planted = plantedTable(results);
  if (planted) {
    out.push('', '## Planted pairs kept', '', 'Known-harmful pairs and their helpful mirrors added to every candidate pool (`--plant`, docs/influence.md §7); means over the seeds.', '', planted);
  }
  out.push('');
  return out.join('\n');
}
