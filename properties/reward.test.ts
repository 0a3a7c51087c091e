/**
 * Properties of Optima's reward (§2.1) that hold for every valid input.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { optimaReward, tokenNormalizerP80, type RewardInput } from '../engine/reward/reward.ts';

const NAMES = ['Alice', 'Bob'];

/** Utterances from pieces that exercise names, colons, repeats and the strip quirk. */
const utterance = fc
  .tuple(
    fc.constantFrom('Alice: ', 'Bob: ', 'Alice:', ''),
    fc.array(fc.constantFrom('ok', 'Alice:', 'Bob:', 'x', 'Hello', '<A>7</A>', ' ', '\n', 'done'), { maxLength: 4 }),
  )
  .map(([prefix, words]) => prefix + words.join(' '));

const rewardInput: fc.Arbitrary<RewardInput> = fc
  .record({
    utterances: fc.array(utterance, { maxLength: 6 }),
    correct: fc.double({ min: 0, max: 1, noNaN: true }),
    tokenCount: fc.nat({ max: 6000 }),
    large: fc.boolean(),
    ceSeed: fc.array(fc.double({ min: 0, max: 20, noNaN: true }), { minLength: 6, maxLength: 6 }),
    normalizer: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 })),
    lambdaToken: fc.double({ min: -2, max: 0, noNaN: true }),
    lambdaLoss: fc.double({ min: 0, max: 2, noNaN: true }),
    maxTokens: fc.constantFrom(2000, 5000),
    path: fc.constantFrom('sft' as const, 'search' as const),
    checkNames: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map((r) => ({
    utterances: r.utterances,
    agentNames: NAMES,
    correct: r.correct,
    tokenCount: r.tokenCount,
    large: r.large,
    crossEntropies: r.ceSeed.slice(0, r.utterances.length),
    normalizer: r.normalizer,
    weights: { lambdaToken: r.lambdaToken, lambdaLoss: r.lambdaLoss },
    maxTokens: r.maxTokens,
    path: r.path,
    ...(r.checkNames === undefined ? {} : { checkNames: r.checkNames }),
  }));

describe('optimaReward properties', () => {
  test.prop([rewardInput])('total is the sum of the terms and never NaN', (input) => {
    const r = optimaReward(input);
    for (const v of Object.values(r)) expect(Number.isNaN(v)).toBe(false);
    expect(r.total).toBeCloseTo(r.correct + r.tokenScore + r.pplScore - r.cleanPenalty, 9);
  });

  test.prop([rewardInput])('correct stays in [0, 1] and is only ever lowered (to 0)', (input) => {
    const r = optimaReward(input);
    expect(r.correct === input.correct || r.correct === 0).toBe(true);
  });

  test.prop([rewardInput])('the clean penalty is a multiple of 10 and only on the SFT path', (input) => {
    const r = optimaReward(input);
    expect(r.cleanPenalty % 10).toBe(0);
    if (input.path === 'search') expect(r.cleanPenalty).toBe(0);
  });

  test.prop([rewardInput, fc.integer({ min: 41, max: 2000 }), fc.integer({ min: 41, max: 2000 })])(
    'tokenScore is non-increasing in tokenCount when λ1 ≤ 0 (outside the override region)',
    (input, a, b) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      const base = { ...input, large: false, normalizer: Math.max(1, input.normalizer) };
      expect(optimaReward({ ...base, tokenCount: hi }).tokenScore).toBeLessThanOrEqual(
        optimaReward({ ...base, tokenCount: lo }).tokenScore,
      );
    },
  );

  test.prop([fc.double({ min: 1e-3, max: 50, noNaN: true }), fc.double({ min: 1e-3, max: 50, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true })])(
    'pplScore is non-increasing in max CE',
    (x, y, lambdaLoss) => {
      const [lo, hi] = x <= y ? [x, y] : [y, x];
      const base: RewardInput = {
        utterances: ['Alice: first <A>1</A>', 'Bob: second <A>1</A>'],
        agentNames: NAMES,
        correct: 1,
        tokenCount: 100,
        large: false,
        crossEntropies: [],
        normalizer: 200,
        weights: { lambdaToken: -0.6, lambdaLoss },
        maxTokens: 2000,
        path: 'search',
      };
      const at = (maxCe: number) => optimaReward({ ...base, crossEntropies: [maxCe / 2, maxCe] }).pplScore;
      expect(at(hi)).toBeLessThanOrEqual(at(lo));
    },
  );
});

describe('tokenNormalizerP80 properties', () => {
  const counts = fc.array(fc.nat({ max: 10_000 }), { minLength: 1, maxLength: 200 });

  test.prop([counts])('is at least 1 and above the 80th percentile', (cs) => {
    const m = tokenNormalizerP80(cs);
    expect(m).toBeGreaterThanOrEqual(1);
    expect(Number.isInteger(m)).toBe(true);
    expect(m).toBeLessThanOrEqual(Math.max(...cs) + 1);
  });

  test.prop([counts, fc.array(fc.nat({ max: 10_000 }), { minLength: 1, maxLength: 50 })])(
    'does not decrease when counts at least the current maximum are added',
    (cs, extra) => {
      const top = Math.max(...cs);
      const larger = extra.map((e) => top + e);
      expect(tokenNormalizerP80([...cs, ...larger])).toBeGreaterThanOrEqual(tokenNormalizerP80(cs));
    },
  );

  test.prop([counts])('does not depend on the order of the counts', (cs) => {
    expect(tokenNormalizerP80([...cs].reverse())).toBe(tokenNormalizerP80(cs));
  });
});
