/**
 * A finished dialogue, scored: the task metric on its final answer, per-utterance readability
 * (cross-entropy under the initial model) and Optima's reward terms (§2.1). This is one line of
 * `trajectories.jsonl`.
 */
import type { Task } from '../../scenarios/task.ts';
import type { Dialogue, Termination, Utterance } from './dialogue.ts';
import type { DialogueScorer } from './scoring.ts';

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
  scorer: DialogueScorer,
  task: Task,
  information: readonly string[][],
  dialogue: Dialogue,
): Promise<ScoredDialogue> {
  const { score, crossEntropies } = await scorer.score(task, dialogue);
  return {
    task_id: task.id,
    dataset: task.dataset,
    question: task.question,
    answers: task.answers,
    agents: scorer.scenario.agents.map((a, i) => ({ name: a.name, role: a.role, information: [...(information[i] ?? [])] })),
    utterances: dialogue.utterances.map((u, i) => ({ ...u, ce: crossEntropies[i] as number })),
    final_answer: dialogue.finalAnswer,
    termination: dialogue.termination,
    token_count: dialogue.tokenCount,
    score,
  };
}

/** Adds Optima's reward on the search path (token normalizer M from the run, §2.1). */
export function withReward(scorer: DialogueScorer, d: ScoredDialogue, normalizer: number): Trajectory {
  const dialogue: Dialogue = {
    utterances: d.utterances.map(({ ce: _ce, ...u }): Utterance => u),
    termination: d.termination,
    finalAnswer: d.final_answer,
    tokenCount: d.token_count,
  };
  const terms = scorer.reward(dialogue, { score: d.score, crossEntropies: d.utterances.map((u) => u.ce) }, normalizer);
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
