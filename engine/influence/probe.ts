/**
 * Influence probes (§3.2): from the warm state, one optimizer step on a group's pairs with a
 * fresh optimizer, then V validation dialogues at T = 0; F_g is their mean metric and the
 * group's influence is F_g - F(warm). Each probe is a pure function of (warm state, group), so
 * the order they run in does not change any group's result.
 */
import pLimit from 'p-limit';
import { scoreAnswer } from '../../scenarios/metrics/index.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';
import { ERROR, LARGE, prepareDialogue, runDialogue } from '../dialogue/dialogue.ts';
import type { ModelBackend } from '../base/model-backend.ts';
import { isBudgetExhausted, metered, type Meter } from '../base/budget.ts';
import type { PreferenceExample, ProbeStepOptions, Trainer } from '../base/trainer.ts';
import type { ProbeGroup } from './groups.ts';
import { minMaxNormalize, pairInfluence } from './normalize.ts';

/** The fixed validation tasks (§3.2 step 4): V tasks disjoint from the search tasks. */
export interface ValidationSet {
  scenario: Scenario;
  tasks: readonly Task[];
  /** Keys the context split and the (greedy) dialogues. */
  seed: number;
}

export const DEFAULT_VALIDATION_SIZE = 20;

/** F_val: the mean task metric of one greedy dialogue per validation task. */
export async function validationMetric(backend: ModelBackend, set: ValidationSet): Promise<number> {
  if (set.tasks.length === 0) throw new RangeError('the validation set is empty');
  const scores = await Promise.all(
    set.tasks.map(async (task) => {
      const d = await runDialogue(prepareDialogue(set.scenario, task, set.seed), backend, {
        seedKey: [set.seed, task.id, 'validation'],
        temperature: 0,
        mode: 'generate',
      });
      return d.finalAnswer === LARGE || d.finalAnswer === ERROR ? 0 : scoreAnswer(set.scenario.metric, d.finalAnswer, task.answers);
    }),
  );
  return scores.reduce((s, x) => s + x, 0) / scores.length;
}

export interface GroupInfluence {
  id: number;
  members: number[];
  /** F_g: the validation metric after the group's probe step. */
  metric: number;
  /** F_g - F(warm). */
  influence: number;
  /** Min-max normalised F_g over the iteration's groups, in [0, 1]. */
  normalized: number;
}

export interface ProbeRun {
  /** F(warm), the validation metric before any probe step (NaN when the budget ran out first). */
  baseline: number;
  /** The probed groups, in the order given; with a budget, those probed before it ran out. */
  groups: GroupInfluence[];
  /** True when the influence budget stopped the probes before every group was probed. */
  stoppedByBudget: boolean;
  /** Normalised influence per candidate pair (its group's); NaN for a pair in no group. */
  pairInfluence: number[];
}

export interface ProbeOptions<H> {
  trainer: Trainer<H>;
  /** θ*: the warm-started state every probe starts from. */
  warm: H;
  /** The frozen DPO reference (the SFT model). */
  ref: H;
  pairs: readonly PreferenceExample[];
  groups: readonly ProbeGroup[];
  step: ProbeStepOptions;
  validation: ValidationSet;
  /** Called as each probe finishes, in whatever order they finish (progress only). */
  onProbe?: (g: { id: number; metric: number }) => void;
  /**
   * One probe after another, in the order given. Needed under a budget, so that the groups
   * probed before it runs out are a fixed prefix; otherwise every probe runs at once.
   */
  sequential?: boolean;
  /** At most this many probes at once (default: all); each probe is independent, so results do not change. */
  concurrency?: number;
  /** Runs a group's probe elsewhere (a worker thread) and gives F_g; by default probeGroup here. */
  probeWith?: (pairs: readonly PreferenceExample[]) => Promise<number>;
}

/**
 * F_g of `pairs` (§3.2 steps 3-4): one probe step from `from` (DPO reference `ref`), then the
 * validation metric of the stepped model, its dialogues charged to `meter` when given. Every
 * probe - the probes stage's, and the dits policy's during the search, in any thread - is this.
 */
export async function probeMetric<H>(
  trainer: Pick<Trainer<H>, 'probeStep' | 'backendFor' | 'release'>,
  states: { from: H; ref: H },
  pairs: readonly PreferenceExample[],
  o: { step: ProbeStepOptions; validation: ValidationSet; meter?: Meter },
): Promise<number> {
  const stepped = await trainer.probeStep(states.from, states.ref, pairs, o.step);
  try {
    const backend = trainer.backendFor(stepped);
    return await validationMetric(o.meter ? metered(backend, o.meter) : backend, o.validation);
  } finally {
    await trainer.release?.(stepped);
  }
}

/** One probe: the group's step from the warm state, then the validation metric. */
export function probeGroup<H>(opts: ProbeOptions<H>, group: ProbeGroup): Promise<number> {
  const batch = group.members.map((i) => opts.pairs[i] as PreferenceExample);
  return probeMetric(opts.trainer, { from: opts.warm, ref: opts.ref }, batch, { step: opts.step, validation: opts.validation });
}

/**
 * Every group's probe: all at once, or (`sequential`) one after another so that when the
 * influence budget runs out (a BudgetExhausted from the backend) the groups probed are a fixed
 * prefix and the run stops cleanly; the rest stay unprobed (influence NaN).
 */
export async function runProbes<H>(opts: ProbeOptions<H>): Promise<ProbeRun> {
  const probed: ProbeGroup[] = [];
  const metrics: number[] = [];
  let baseline = Number.NaN;
  let stoppedByBudget = false;
  const one = async (g: ProbeGroup) => {
    const metric = opts.probeWith ? await opts.probeWith(g.members.map((i) => opts.pairs[i] as PreferenceExample)) : await probeGroup(opts, g);
    opts.onProbe?.({ id: g.id, metric });
    return metric;
  };
  try {
    baseline = await validationMetric(opts.trainer.backendFor(opts.warm), opts.validation);
    if (opts.sequential) {
      for (const g of opts.groups) {
        metrics.push(await one(g));
        probed.push(g);
      }
    } else {
      const limit = pLimit(opts.concurrency ?? Math.max(1, opts.groups.length));
      metrics.push(...(await Promise.all(opts.groups.map((g) => limit(() => one(g))))));
      probed.push(...opts.groups);
    }
  } catch (e) {
    if (!isBudgetExhausted(e)) throw e;
    stoppedByBudget = true;
  }
  const normalized = minMaxNormalize(metrics);
  const groups = probed.map((g, i) => ({
    id: g.id,
    members: [...g.members],
    metric: metrics[i] as number,
    influence: (metrics[i] as number) - baseline,
    normalized: normalized[i] as number,
  }));
  return { baseline, groups, stoppedByBudget, pairInfluence: pairInfluence(opts.pairs.length, probed, metrics) };
}
