/**
 * SFT data (§2.2): for each task the best of its sampled dialogues by reward (SFT path: token
 * normalizer = the task's longest non-overflowing sample, data_clean's penalty applied); tasks
 * ranked by that reward, a slice kept (top 70%, or the scenario's `sft.keep`: the built-in MATH
 * scenario keeps [10%, 80%) as the reference does), then those below the
 * threshold dropped; each kept dialogue becomes one example per agent that spoke in it, in
 * which only that agent's turns are trained (an agent with no turn has nothing to learn from it:
 * with three or more agents a dialogue can end before everyone has spoken).
 */
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';
import { LARGE, type Dialogue } from './dialogue.ts';
import type { SftExample } from '../base/examples.ts';
import { tokenNormalizerMax, type RewardTerms } from '../reward/reward.ts';
import type { DialogueScore, DialogueScorer } from './scoring.ts';
import type { IndexedSource } from '../storage/spill.ts';

export interface SampledDialogue {
  dialogue: Dialogue;
  scored: DialogueScore;
}

export interface TaskSamples {
  task: Task;
  /** Each agent's system prompt, in scenario order (the default prompts, §2.2 step 4). */
  systemPrompts: readonly string[];
  samples: readonly SampledDialogue[];
}

export interface SftSelection {
  /** Fraction range of the ranked tasks to keep: [0, 0.7] by default, the scenario's `sft.keep` when it has one. */
  keep: readonly [number, number];
  /** θ_sft: a kept dialogue needs a total reward at least this high. */
  threshold: number;
}

/** The reference's slice of ranked tasks, unless the scenario names its own (the built-in math does: [0.1, 0.8]). */
export const DEFAULT_SFT_KEEP: readonly [number, number] = [0, 0.7];

export function defaultSftSelection(scenario: Scenario): SftSelection {
  return { keep: scenario.sft?.keep ?? DEFAULT_SFT_KEEP, threshold: scenario.reward.sftThreshold };
}

/** The task's best sample by SFT-path reward, with that reward (ties: the earlier sample). */
export function bestSample(scorer: DialogueScorer, samples: readonly SampledDialogue[]): { sample: SampledDialogue; reward: RewardTerms } | undefined {
  const kept = samples.filter((s) => s.dialogue.finalAnswer !== LARGE);
  if (kept.length === 0) return undefined;
  const normalizer = tokenNormalizerMax(
    samples.map((s) => s.dialogue.tokenCount),
    samples.map((s) => s.dialogue.finalAnswer === LARGE),
  );
  let best: { sample: SampledDialogue; reward: RewardTerms } | undefined;
  for (const sample of samples) {
    const reward = scorer.reward(sample.dialogue, sample.scored, normalizer, 'sft');
    if (!best || reward.total > best.reward.total) best = { sample, reward };
  }
  return best;
}

/** One example per agent that spoke: its own system prompt, every utterance, its own turns trained. */
export function agentViews(taskId: string, systemPrompts: readonly string[], scenario: Scenario, dialogue: Dialogue, reward: number): SftExample[] {
  return candidateViews({ taskId, systemPrompts, dialogue, reward }, scenario);
}

/** The agents (by scenario index) with at least one utterance in the dialogue, in scenario order. */
export function speakingAgents(scenario: Scenario, dialogue: Dialogue): number[] {
  const spoke = new Set(dialogue.utterances.map((u) => u.speaker));
  return scenario.agents.flatMap((a, i) => (spoke.has(a.name) ? [i] : []));
}

const candidateViews = (c: SftCandidate, scenario: Scenario) => speakingAgents(scenario, c.dialogue).map((i) => agentView(c, scenario, i));

/** Agent `i`'s example of a candidate. */
function agentView(c: SftCandidate, scenario: Scenario, i: number): SftExample {
  const agent = (scenario.agents[i] as { name: string }).name;
  return {
    taskId: c.taskId,
    agent,
    messages: [
      { role: 'system' as const, content: c.systemPrompts[i] as string },
      ...c.dialogue.utterances.map((u) => ({ role: 'assistant' as const, content: u.text })),
    ],
    trained: [false, ...c.dialogue.utterances.map((u) => u.speaker === agent)],
    reward: c.reward,
  };
}

/** A task's best sample, ready for ranking. */
export interface SftCandidate {
  taskId: string;
  systemPrompts: readonly string[];
  dialogue: Dialogue;
  reward: number;
}

/** The candidate of one task's samples, or undefined when every sample overflowed. */
export function sftCandidate(scorer: DialogueScorer, t: TaskSamples): SftCandidate | undefined {
  const best = bestSample(scorer, t.samples);
  return best && { taskId: t.task.id, systemPrompts: t.systemPrompts, dialogue: best.sample.dialogue, reward: best.reward.total };
}

/** §2.2 steps 3-4 on the candidates' rewards: rank them, keep the slice, drop those under the threshold; the kept indices in ranked order. */
export function rankSftCandidates(rewards: readonly number[], selection: SftSelection): number[] {
  const ranked = rewards.map((reward, order) => ({ reward, order })).sort((a, b) => b.reward - a.reward || a.order - b.order);
  const from = Math.floor(ranked.length * selection.keep[0]);
  const to = Math.floor(ranked.length * selection.keep[1]);
  return ranked
    .slice(from, to)
    .filter((r) => r.reward >= selection.threshold)
    .map((r) => r.order);
}

/** §2.2 steps 3-4: rank the tasks' best samples, keep the slice, drop those under the threshold; ranked order. */
export function selectSftExamples(scenario: Scenario, candidates: readonly SftCandidate[], selection: SftSelection): SftExample[] {
  return rankSftCandidates(candidates.map((c) => c.reward), selection).flatMap((i) => candidateViews(candidates[i] as SftCandidate, scenario));
}

/**
 * The same examples as selectSftExamples, read by index from candidates kept on disk: `speakers[i]`
 * is speakingAgents of candidate i (kept in memory beside the rewards, so no candidate is read
 * to count its views), and example k is the k-th (candidate, agent) in ranked order.
 */
export function selectedSftSource(
  scenario: Scenario,
  candidates: IndexedSource<SftCandidate>,
  rewards: readonly number[],
  speakers: readonly (readonly number[])[],
  selection: SftSelection,
): IndexedSource<SftExample> {
  const views = rankSftCandidates(rewards, selection).flatMap((c) => (speakers[c] as readonly number[]).map((agent) => [c, agent] as const));
  return {
    length: views.length,
    get: (k) => {
      const [c, agent] = views[k] as readonly [number, number];
      return agentView(candidates.get(c), scenario, agent);
    },
  };
}

/** §2.2 steps 2-4 over every task's samples. */
export function buildSftExamples(scorer: DialogueScorer, tasks: readonly TaskSamples[], selection: SftSelection): SftExample[] {
  const candidates = tasks.map((t) => sftCandidate(scorer, t)).filter((c): c is SftCandidate => c !== undefined);
  return selectSftExamples(scorer.scenario, candidates, selection);
}
