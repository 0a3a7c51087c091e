/**
 * A finished dialogue, scored: the task metric on its final answer, per-utterance readability
 * (cross-entropy under the initial model) and Optima's reward terms (§2.1). This is one line of
 * `trajectories.jsonl`.
 */
import { scoreAnswer } from '../scenarios/metrics/index.ts';
import type { Scenario } from '../scenarios/schema.ts';
import type { Task } from '../scenarios/task.ts';
import { ERROR, LARGE, type Dialogue, type Termination } from './dialogue.ts';
import type { ModelBackend } from './model.ts';
import { optimaReward, utteranceCrossEntropies } from './reward.ts';

export interface TrajectoryUtterance {
  speaker: string;
  text: string;
  answer: string;
  tokens: number;
  /** Mean NLL in nats of the utterance alone under the initial model (§2.1 R_loss). */
  ce: number;
}

/** A dialogue scored, before the reward (which needs the run's token normalizer). */
export interface ScoredDialogue {
  task_id: string;
  dataset: string;
  question: string;
  answers: string[];
  agents: { name: string; role: string; information: string[] }[];
  utterances: TrajectoryUtterance[];
  final_answer: string;
  termination: Termination;
  token_count: number;
  score: number;
}

export interface Trajectory extends ScoredDialogue {
  reward: { correct: number; token_score: number; ppl_score: number; clean_penalty: number; total: number; normalizer: number };
}

export async function scoreDialogue(
  scenario: Scenario,
  task: Task,
  information: readonly string[][],
  dialogue: Dialogue,
  backend: ModelBackend,
): Promise<ScoredDialogue> {
  const sentinel = dialogue.finalAnswer === LARGE || dialogue.finalAnswer === ERROR;
  const score = sentinel ? 0 : await scoreAnswer(scenario.metric, dialogue.finalAnswer, task.answers);
  const ces = await utteranceCrossEntropies(backend, dialogue.utterances.map((u) => u.text));
  return {
    task_id: task.id,
    dataset: task.dataset,
    question: task.question,
    answers: task.answers,
    agents: scenario.agents.map((a, i) => ({ name: a.name, role: a.role, information: [...(information[i] ?? [])] })),
    utterances: dialogue.utterances.map((u, i) => ({ ...u, ce: ces[i] as number })),
    final_answer: dialogue.finalAnswer,
    termination: dialogue.termination,
    token_count: dialogue.tokenCount,
    score,
  };
}

/** Adds Optima's reward on the search path (token normalizer M from the run, §2.1). */
export function withReward(scenario: Scenario, d: ScoredDialogue, normalizer: number): Trajectory {
  const terms = optimaReward({
    utterances: d.utterances.map((u) => u.text),
    agentNames: scenario.agents.map((a) => a.name),
    correct: d.score,
    tokenCount: d.token_count,
    large: d.final_answer === LARGE,
    crossEntropies: d.utterances.map((u) => u.ce),
    normalizer,
    weights: scenario.reward,
    maxTokens: scenario.turns.maxTokens,
    path: 'search',
  });
  return {
    ...d,
    reward: {
      correct: terms.correct,
      token_score: terms.tokenScore,
      ppl_score: terms.pplScore,
      clean_penalty: terms.cleanPenalty,
      total: terms.total,
      normalizer,
    },
  };
}
