/**
 * The per-utterance cross-entropy CE_k that Optima's readability term divides by (§2.1).
 *
 * Reference (swt-user/DITS `reward/deploy_reward.py`, `RewardModel.ppl`): each utterance alone
 * is rendered as one assistant turn of the chat template and scored by the *initial* model; the
 * 5 header tokens are skipped and `<|eot_id|>` is counted; the loss is the mean NLL in nats over
 * the scored tokens. Here the backend's `logLikelihood(messages = [], utterance)` plays that
 * role, so which special tokens count is the backend's business.
 */
import type { LogLikelihood, ModelBackend } from '../base/model-backend.ts';

/**
 * CE = -logprob / tokens. A text with no scored tokens has nothing to be surprised by: CE 0
 * (the reference always scores at least `<|eot_id|>`, so it never meets this case).
 */
export function crossEntropyOf(ll: LogLikelihood, field = 'logLikelihood'): number {
  if (!Number.isInteger(ll.tokens) || ll.tokens < 0) {
    throw new RangeError(`${field}.tokens must be a non-negative integer, got ${ll.tokens}`);
  }
  // A log-probability is ≤ 0; NaN or a positive value means a broken backend, not a reward.
  if (Number.isNaN(ll.logprob) || ll.logprob > 0) {
    throw new RangeError(`${field}.logprob must be ≤ 0, got ${ll.logprob}`);
  }
  if (ll.tokens === 0) return 0;
  return -ll.logprob / ll.tokens + 0; // + 0 turns -0 into 0
}

/**
 * CE_k for every utterance, in order, each scored alone (no system prompt, no history) by the
 * given backend, which should be the initial model.
 */
export async function utteranceCrossEntropies(
  backend: Pick<ModelBackend, 'logLikelihood'>,
  utterances: readonly string[],
): Promise<number[]> {
  return Promise.all(
    utterances.map(async (u, k) => crossEntropyOf(await backend.logLikelihood([], u), `logLikelihood(utterances[${k}])`)),
  );
}
