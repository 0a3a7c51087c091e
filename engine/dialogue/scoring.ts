/**
 * Scoring a finished dialogue: the task metric on its final answer, the readability
 * cross-entropy of each utterance under the initial model (memoised by text: tree search
 * scores the same utterance many times), and Optima's reward terms (§2.1).
 */
import { scoreAnswer } from '../../scenarios/metrics/index.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';
import { ERROR, LARGE, type Dialogue } from './dialogue.ts';
import type { ModelBackend } from '../base/model-backend.ts';
import { crossEntropyOf, optimaReward, type RewardPath, type RewardTerms } from '../reward/reward.ts';

const CE_MEMO_LIMIT = 100_000;

export interface DialogueScore {
  /** Task metric of the final answer (0 for the `large` and `error` sentinels). */
  score: number;
  /** CE_k per utterance, nats per token. */
  crossEntropies: number[];
}

export class DialogueScorer {
  private readonly ceMemo = new Map<string, Promise<number>>();

  /** `initial` scores readability: the model before any training (§2.1). */
  constructor(
    readonly scenario: Scenario,
    private readonly initial: Pick<ModelBackend, 'logLikelihood'>,
  ) {}

  crossEntropy(text: string): Promise<number> {
    let ce = this.ceMemo.get(text);
    if (ce === undefined) {
      if (this.ceMemo.size >= CE_MEMO_LIMIT) this.ceMemo.clear();
      ce = this.initial.logLikelihood([], text).then(crossEntropyOf);
      this.ceMemo.set(text, ce);
    }
    return ce;
  }

  async score(task: Task, dialogue: Dialogue): Promise<DialogueScore> {
    const sentinel = dialogue.finalAnswer === LARGE || dialogue.finalAnswer === ERROR;
    const [score, crossEntropies] = await Promise.all([
      sentinel ? 0 : scoreAnswer(this.scenario.metric, dialogue.finalAnswer, task.answers),
      Promise.all(dialogue.utterances.map((u) => this.crossEntropy(u.text))),
    ]);
    return { score, crossEntropies };
  }

  reward(dialogue: Dialogue, scored: DialogueScore, normalizer: number, path: RewardPath = 'search'): RewardTerms {
    return optimaReward({
      utterances: dialogue.utterances.map((u) => u.text),
      agentNames: this.scenario.agents.map((a) => a.name),
      correct: scored.score,
      tokenCount: dialogue.tokenCount,
      large: dialogue.finalAnswer === LARGE,
      crossEntropies: scored.crossEntropies,
      normalizer,
      weights: this.scenario.reward,
      maxTokens: this.scenario.turns.maxTokens,
      path,
    });
  }
}
