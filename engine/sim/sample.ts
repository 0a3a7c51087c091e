/**
 * Sampling, synchronously: continuation i of a request is a pure function of (seed, i,
 * messages, params). At temperature > 0 every draw (move, content, phrasing) comes from
 * `Rng.keyed(seed, i)`. At temperature 0 the model is greedy: the best move, its most
 * probable phrasing, and a content drawn from a uniform keyed by the conversation (task, speaker,
 * answers given so far) instead of the seed - greedy decoding of an LLM is a function of its
 * input, yet its answers are still right only as often as its accuracy says. The gold content
 * comes first, so a greedy answer is right iff that uniform is below p_gold: parameter sets that
 * differ in skill (or in which answer move they pick) draw the same uniform (common random numbers).
 */
import type { Completion, SampleRequest } from '../base/model-backend.ts';
import { Rng } from '../base/rng.ts';
import { skillOf, type SimParams } from './params.ts';
import { contents, pickContent } from './outcomes.ts';
import { moveProbabilities, policyInput } from './policy.ts';
import { renderUtterance, truncateToTokens } from './render.ts';
import { dialogueState, hashUniform, type DialogueState } from './state.ts';
import { greedyPhrasing, phrasingProbabilities } from './wording.ts';
import type { SimWorld } from './world.ts';

export function finish(text: string, maxTokens: number): Completion {
  const cut = truncateToTokens(text, maxTokens);
  return { text: cut.text, tokens: cut.tokens, finishReason: cut.cut ? 'length' : 'stop' };
}

function greedy(s: DialogueState, params: SimParams, probs: Float64Array): string {
  const move = probs.indexOf(1);
  const u = hashUniform('greedy', s.oracle.key, s.speaker, s.ownAnswers, s.challenges);
  return renderUtterance(s, move, pickContent(contents(s, move, skillOf(params, move)), u), greedyPhrasing(params, s.world.family, move));
}

function sampled(s: DialogueState, params: SimParams, probs: Float64Array, seed: number, i: number): string {
  const rng = Rng.keyed(seed, i);
  const move = rng.weighted(probs);
  const options = contents(s, move, skillOf(params, move));
  const content = options[rng.weighted(options.map((c) => c.p))];
  const phrasing = rng.weighted(phrasingProbabilities(params, s.world.family, move));
  return renderUtterance(s, move, content ?? { p: 1 }, phrasing);
}

export function sampleSync(world: SimWorld, params: SimParams, req: SampleRequest): Completion[] {
  const s = dialogueState(world, req.messages, req.speaker);
  const probs = moveProbabilities(params, policyInput(s), req.temperature);
  const out: Completion[] = [];
  if (!(req.temperature > 0)) {
    const c = finish(greedy(s, params, probs), req.maxTokens);
    for (let i = 0; i < req.n; i++) out.push({ ...c });
    return out;
  }
  for (let i = 0; i < req.n; i++) out.push(finish(sampled(s, params, probs, req.seed, i), req.maxTokens));
  return out;
}
