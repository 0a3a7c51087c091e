/**
 * The first-order (gradient dot product, TracIn-style) influence estimate on the simulated model,
 * to compare with the probe influence of §3.2 (docs/influence.md):
 *
 *   I₁(g) = −∇θ ℓ_val(θ*) · ∇θ L_DPO(g; θ*, ref) = d/dη ℓ_val(θ* − η ∇θ L_DPO(g; θ*, ref)) at η = 0,
 *
 * the rate at which a small SGD step on group g's mean DPO loss raises ℓ_val, a differentiable
 * stand-in for the validation metric:
 *
 *   ℓ_val(θ) = (1/V) Σ_v s_v Σ_i log π_θ(u_{v,i} | what its speaker saw before it),
 *
 * where D_v = (u_{v,1}, u_{v,2}, ...) is θ*'s greedy dialogue on validation task v (the very
 * dialogues F(θ*) scores) and s_v ∈ [0, 1] its metric. With EM this is the log-likelihood of the
 * gold-reaching dialogues; with F1 a dialogue counts in proportion to its score. Positive I₁: the
 * group's step makes the warm model's successful validation behaviour more likely.
 */
import { scoreAnswer } from '../../scenarios/metrics/index.ts';
import { agentMessages, ERROR, LARGE, prepareDialogue, runDialogue, type Dialogue, type DialogueSetup } from '../dialogue/dialogue.ts';
import type { ModelBackend } from '../base/model-backend.ts';
import type { SimParams } from '../sim/params.ts';
import { dpoGradient, logLikelihoodGradient } from '../sim/train.ts';
import type { SimWorld } from '../sim/world.ts';
import type { PreferenceExample, SftTarget } from '../base/trainer.ts';
import type { ProbeGroup } from './groups.ts';
import type { ValidationSet } from './probe.ts';

/** ℓ_val as weighted utterance targets: ℓ_val(θ) = Σ_i weights[i] · log π_θ(targets[i]). */
export interface ValidationSurrogate {
  targets: SftTarget[];
  weights: number[];
  /** V, the validation dialogues. */
  dialogues: number;
  /** Dialogues with a non-zero score, the only ones with targets. */
  scoring: number;
  /** F(θ*): the mean score, as `validationMetric` computes it. */
  metric: number;
}

/** Each utterance of a dialogue as its speaker's target: its own system prompt, then every utterance before it. */
export function dialogueTargets(setup: DialogueSetup, dialogue: Dialogue): SftTarget[] {
  const names = setup.scenario.agents.map((a) => a.name);
  return dialogue.utterances.flatMap((u, i) => {
    const agent = names.indexOf(u.speaker);
    if (agent < 0 || u.text === LARGE) return [];
    return [{ messages: agentMessages(setup.systemPrompts[agent] as string, dialogue.utterances.slice(0, i)), speaker: u.speaker, text: u.text }];
  });
}

/**
 * ℓ_val at the model `backend` samples from: one greedy dialogue per validation task, keyed and
 * scored exactly as `validationMetric` keys and scores them.
 */
export async function validationSurrogate(backend: ModelBackend, set: ValidationSet): Promise<ValidationSurrogate> {
  if (set.tasks.length === 0) throw new RangeError('the validation set is empty');
  const v = set.tasks.length;
  const scored = await Promise.all(
    set.tasks.map(async (task) => {
      const setup = prepareDialogue(set.scenario, task, set.seed);
      const d = await runDialogue(setup, backend, { seedKey: [set.seed, task.id, 'validation'], temperature: 0, mode: 'generate' });
      const score = d.finalAnswer === LARGE || d.finalAnswer === ERROR ? 0 : await scoreAnswer(set.scenario.metric, d.finalAnswer, task.answers);
      return { setup, d, score };
    }),
  );
  const targets: SftTarget[] = [];
  const weights: number[] = [];
  for (const { setup, d, score } of scored) {
    if (score === 0) continue;
    for (const t of dialogueTargets(setup, d)) {
      targets.push(t);
      weights.push(score / v);
    }
  }
  return { targets, weights, dialogues: v, scoring: scored.filter((s) => s.score !== 0).length, metric: scored.reduce((s, x) => s + x.score, 0) / v };
}

export interface FirstOrderOptions {
  /** θ*, where both gradients are taken. */
  warm: SimParams;
  /** The frozen DPO reference. */
  ref: SimParams;
  pairs: readonly PreferenceExample[];
  groups: readonly ProbeGroup[];
  beta: number;
  surrogate: ValidationSurrogate;
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
};

/** I₁ per group, in `groups` order: −∇ℓ_val(θ*) · ∇L_DPO(group; θ*, ref), the group's loss its mean over its pairs. */
export function firstOrderInfluence(world: SimWorld, opts: FirstOrderOptions): number[] {
  const val = logLikelihoodGradient(world, opts.warm, opts.surrogate.targets, opts.surrogate.weights);
  return opts.groups.map((g) => {
    const batch = g.members.map((i) => opts.pairs[i] as PreferenceExample);
    // + 0 turns the −0 of a zero gradient into 0.
    return -dot(val, dpoGradient(world, opts.warm, opts.ref, batch, opts.beta)) + 0;
  });
}
