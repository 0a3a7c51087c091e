/**
 * Hand-computed checks of Optima's reward (§2.1) against the reference's rules
 * (swt-user/DITS reward/deploy_reward.py, dataloader/dataloader.py data_clean,
 * train/sft_dpo_DI_test.py for the P80 normalizer).
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REWARD_WEIGHTS,
  REWARD_DATASETS,
  crossEntropyScope,
  dataCleanPenalty,
  firstRepeat,
  hasMultiName,
  hasRepeat,
  nameMentions,
  numpyPercentileLinear,
  optimaReward,
  pythonStrip,
  repeatKey,
  tokenNormalizerMax,
  tokenNormalizerP80,
  utteranceCrossEntropies,
  type RewardInput,
} from '../engine/reward/reward.ts';
import { rewardSchema } from '../scenarios/schema.ts';
import type { ChatMessage, LogLikelihood } from '../engine/base/model-backend.ts';

const NAMES = ['Alice', 'Bob'] as const;

/** A well-formed search-path input; each test overrides what it is about. */
function input(over: Partial<RewardInput> = {}): RewardInput {
  return {
    utterances: ['Alice: capital? <A>Paris</A>', 'Bob: agree <A>Paris</A>'],
    agentNames: NAMES,
    correct: 0.8,
    tokenCount: 100,
    large: false,
    crossEntropies: [2, 4],
    normalizer: 200,
    weights: { lambdaToken: -0.6, lambdaLoss: 1 },
    maxTokens: 2000,
    path: 'search',
    ...over,
  };
}

describe('optimaReward: the three terms', () => {
  it('adds correct, λ1·tokens/M and λ2/max CE', () => {
    const r = optimaReward(input());
    expect(r.correct).toBe(0.8);
    expect(r.tokenScore).toBeCloseTo(-0.3, 12); // -0.6 · 100 / 200
    expect(r.pplScore).toBe(0.25); // 1 / max(2, 4)
    expect(r.cleanPenalty).toBe(0);
    expect(r.total).toBeCloseTo(0.75, 12);
  });

  it('uses the max CE, not the mean or the last', () => {
    const r = optimaReward(input({ utterances: ['Alice: first', 'Bob: second', 'Alice: third'], crossEntropies: [1, 5, 2], weights: { lambdaToken: -0.6, lambdaLoss: 0.9 } }));
    expect(r.pplScore).toBeCloseTo(0.18, 12); // 0.9 / 5
  });

  it('scales λ1 and λ2 from the weights', () => {
    const r = optimaReward(input({ weights: { lambdaToken: -0.4, lambdaLoss: 0.9 }, tokenCount: 300, normalizer: 600, crossEntropies: [3, 1.5] }));
    expect(r.tokenScore).toBeCloseTo(-0.2, 12); // -0.4 · 300 / 600
    expect(r.pplScore).toBeCloseTo(0.3, 12); // 0.9 / 3
  });
});

describe('optimaReward: token_score overrides', () => {
  it('is -1 when the dialogue overflowed ("large"), whatever the count', () => {
    expect(optimaReward(input({ large: true })).tokenScore).toBe(-1);
  });

  it('is -1 at 40 tokens or fewer, and the formula from 41', () => {
    expect(optimaReward(input({ tokenCount: 40 })).tokenScore).toBe(-1);
    expect(optimaReward(input({ tokenCount: 0 })).tokenScore).toBe(-1);
    expect(optimaReward(input({ tokenCount: 41 })).tokenScore).toBeCloseTo(-0.123, 12); // -0.6 · 41 / 200
  });

  it('can exceed -1 in magnitude above M (no clipping in the reference)', () => {
    expect(optimaReward(input({ tokenCount: 500, normalizer: 200 })).tokenScore).toBeCloseTo(-1.5, 12);
  });

  it('guards M = 0: the base term is 0 (the SFT scorer catches ZeroDivisionError), overrides still apply', () => {
    expect(optimaReward(input({ normalizer: 0, tokenCount: 100 })).tokenScore).toBe(0);
    expect(optimaReward(input({ normalizer: 0, tokenCount: 10 })).tokenScore).toBe(-1);
  });
});

describe('optimaReward: ppl_score overrides', () => {
  it('is -1 above maxTokens, and the formula at exactly maxTokens', () => {
    expect(optimaReward(input({ tokenCount: 2001 })).pplScore).toBe(-1);
    expect(optimaReward(input({ tokenCount: 2000 })).pplScore).toBe(0.25);
  });

  it('follows maxTokens (5000 for MATH)', () => {
    expect(optimaReward(input({ tokenCount: 3000, maxTokens: 5000 })).pplScore).toBe(0.25);
    expect(optimaReward(input({ tokenCount: 5001, maxTokens: 5000 })).pplScore).toBe(-1);
  });

  it('is -1 for an empty conversation (and token_score is -1 too)', () => {
    const r = optimaReward(input({ utterances: [], crossEntropies: [], tokenCount: 0, correct: 0 }));
    expect(r.pplScore).toBe(-1);
    expect(r.tokenScore).toBe(-1);
    expect(r.total).toBe(-2);
  });

  it('is 0 when an utterance repeats an earlier one', () => {
    const r = optimaReward(input({ utterances: ['Alice: hi <A>x</A>', 'Bob: hmm', 'Alice: hi <A>x</A>'], crossEntropies: [1, 2, 3] }));
    expect(r.pplScore).toBe(0);
    expect(r.correct).toBe(0.8);
  });

  it('is 0 when max CE is 0 (the reference would divide by zero)', () => {
    expect(optimaReward(input({ crossEntropies: [0, 0] })).pplScore).toBe(0);
  });

  it('treats an infinite CE as λ2/∞ = 0', () => {
    expect(optimaReward(input({ crossEntropies: [1, Number.POSITIVE_INFINITY] })).pplScore).toBe(0);
  });
});

describe('optimaReward: name check (search path)', () => {
  it('zeroes correct on an utterance with both names and scores CE only before it', () => {
    const r = optimaReward(input({ utterances: ['Alice: a', 'Bob: b Alice: c', 'Alice: z'], crossEntropies: [1, 3, 5] }));
    expect(r.correct).toBe(0);
    expect(r.pplScore).toBe(1); // 1 / CE_0: the scan stopped at utterance 1
    expect(r.total).toBeCloseTo(0 - 0.3 + 1, 12);
  });

  it('zeroes correct on one name twice', () => {
    const r = optimaReward(input({ utterances: ['Alice: a', 'Bob: b', 'Alice: c. Alice: d'], crossEntropies: [1, 2, 9] }));
    expect(r.correct).toBe(0);
    expect(r.pplScore).toBe(0.5); // 1 / max(1, 2)
  });

  it('gives ppl 0 when the very first utterance is multi-name (nothing scored)', () => {
    const r = optimaReward(input({ utterances: ['Alice: x Bob: y', 'Bob: z'], crossEntropies: [1, 1] }));
    expect(r.correct).toBe(0);
    expect(r.pplScore).toBe(0);
  });

  it('lets a repeat that comes first end the scan before a later multi-name utterance', () => {
    const r = optimaReward(input({ utterances: ['Alice: a', 'Bob: q', 'Alice: a', 'Bob: Alice: x'], crossEntropies: [1, 1, 1, 1] }));
    expect(r.correct).toBe(0.8);
    expect(r.pplScore).toBe(0);
  });

  it('checks names before repeats on the same utterance', () => {
    const r = optimaReward(input({ utterances: ['Alice: Bob: x', 'Alice: Bob: x'], crossEntropies: [1, 1] }));
    expect(r.correct).toBe(0);
    expect(r.pplScore).toBe(0); // stopped at utterance 0 by the name check, not by a repeat
  });

  it('does not check names when the length override pre-empts the scan', () => {
    const r = optimaReward(input({ utterances: ['Alice: a Bob: b'], crossEntropies: [1], tokenCount: 2500 }));
    expect(r.correct).toBe(0.8);
    expect(r.pplScore).toBe(-1);
  });

  it('can be turned off', () => {
    const r = optimaReward(input({ utterances: ['Alice: a', 'Bob: b Alice: c'], crossEntropies: [1, 4], checkNames: false }));
    expect(r.correct).toBe(0.8);
    expect(r.pplScore).toBe(0.25);
  });
});

describe('optimaReward: SFT path', () => {
  it('does not check names by default but subtracts data_clean’s 10', () => {
    const r = optimaReward(input({ path: 'sft', utterances: ['Alice: a', 'Bob: b Alice: c'], crossEntropies: [1, 4] }));
    expect(r.correct).toBe(0.8);
    expect(r.pplScore).toBe(0.25); // both utterances scored
    expect(r.cleanPenalty).toBe(10);
    expect(r.total).toBeCloseTo(0.8 - 0.3 + 0.25 - 10, 12);
  });

  it('checks names when asked explicitly', () => {
    const r = optimaReward(input({ path: 'sft', checkNames: true, utterances: ['Alice: a', 'Bob: b Alice: c'], crossEntropies: [1, 4] }));
    expect(r.correct).toBe(0);
    expect(r.pplScore).toBe(1);
    expect(r.cleanPenalty).toBe(10);
  });

  it('applies data_clean even when the length override fires', () => {
    const r = optimaReward(input({ path: 'sft', utterances: ['Alice: a Alice: b'], crossEntropies: [1], tokenCount: 2500 }));
    expect(r.cleanPenalty).toBe(10);
    expect(r.pplScore).toBe(-1);
  });

  it('scores a kept "large" sentinel like any utterance', () => {
    const r = optimaReward(input({ path: 'sft', utterances: ['Alice: a', 'large'], crossEntropies: [1, 8], tokenCount: 6, large: true, normalizer: 120 }));
    expect(r.tokenScore).toBe(-1);
    expect(r.pplScore).toBe(0.125); // 1 / 8, the sentinel's CE
    expect(r.cleanPenalty).toBe(0);
  });

  it('has no clean penalty on the search path', () => {
    expect(optimaReward(input({ utterances: ['Alice: a Alice: b'], crossEntropies: [1] })).cleanPenalty).toBe(0);
  });
});

describe('dataCleanPenalty (data_clean)', () => {
  it('charges 10 per name-twice utterance and stops after the first both-names one', () => {
    const utts = ['Alice: x Alice: y', 'Bob: z Bob: w', 'Alice: p Bob: q', 'Bob: r Bob: s', 'Alice: Bob:'];
    expect(dataCleanPenalty(utts, NAMES)).toBe(30);
  });

  it('is 0 for clean dialogues', () => {
    expect(dataCleanPenalty(['Alice: a', 'Bob: b'], NAMES)).toBe(0);
    expect(dataCleanPenalty([], NAMES)).toBe(0);
  });
});

describe('hasMultiName', () => {
  it('needs the colon and the exact case, as the reference’s regex does', () => {
    expect(hasMultiName('Alice: tell Bob the answer', NAMES)).toBe(false);
    expect(hasMultiName('Alice: alice: bob:', NAMES)).toBe(false);
    expect(hasMultiName('Alice: ok\nBob: ok', NAMES)).toBe(true);
    expect(hasMultiName('Alice: a\nAlice: b', NAMES)).toBe(true);
  });

  it('matches anywhere, without word boundaries', () => {
    expect(hasMultiName('Alice: see xBob:y', NAMES)).toBe(true);
  });

  it('works for other and more names', () => {
    const names = ['Ann', 'Ben', 'Cy'];
    expect(hasMultiName('Ann: a Cy: c', names)).toBe(true);
    expect(hasMultiName('Cy: c', names)).toBe(false);
    expect(nameMentions('Ann: Ben: Ann:', names)).toEqual({ distinct: 2, repeated: true });
  });

  it('counts a name once even if listed twice', () => {
    expect(hasMultiName('Alice: a', ['Alice', 'Alice'])).toBe(false);
  });
});

describe('hasRepeat and repeatKey (Python strip-by-characters)', () => {
  // Expected keys computed with Python: s.strip().strip("Alice:").strip("Bob:").lower()
  it.each([
    ['Alice: ok', ' ok'],
    ['Bob: ok', ' ok'],
    ['Alice: Hello', ' hell'],
    ['Bob: hellob', ' hell'],
    ['Alice: DONE', ' done'],
    ['Bob: done', ' don'],
    ['  Alice: x \n', ' x'],
    ['Bob: hi', ' h'],
    ['Alice:Bob:', ''],
    ['\x1c Alice: x\x85', ' x'],
    ['Alice: hello Bob', ' hello '],
  ])('repeatKey(%j) = %j', (u, key) => {
    expect(repeatKey(u)).toBe(key);
  });

  it('counts a partner echoing the same words as a repeat', () => {
    expect(hasRepeat(['Alice: ok', 'Bob: ok'])).toBe(true);
  });

  it('follows the character-strip quirk both ways', () => {
    expect(hasRepeat(['Alice: Hello', 'Bob: hellob'])).toBe(true);
    expect(hasRepeat(['Alice: DONE', 'Bob: done'])).toBe(false);
  });

  it('collapses short utterances whose letters are all in the names', () => {
    // "Alice: c" -> " " and "Bob: b" -> " ": the reference calls this a repeat.
    expect(hasRepeat(['Alice: c', 'Bob: b'])).toBe(true);
  });

  it('finds the first repeat only', () => {
    expect(firstRepeat(['Alice: a', 'Bob: b', 'Alice: a', 'Bob: b'])).toBe(2);
    expect(firstRepeat(['Alice: a', 'Bob: b'])).toBe(-1);
    expect(hasRepeat([])).toBe(false);
  });

  it('strips Python whitespace, not JS whitespace', () => {
    expect(pythonStrip('\x1c\x1d x \x85')).toBe('x');
    expect(pythonStrip('\ufeffx')).toBe('\ufeffx');
  });

  it('strips the given names’ characters', () => {
    expect(repeatKey('Ann: yes', ['Ann', 'Ben'])).toBe(' yes');
  });
});

describe('crossEntropyScope', () => {
  it('is every utterance in the normal case', () => {
    expect(crossEntropyScope(input())).toBe(2);
  });

  it('is 0 under an override or a repeat', () => {
    expect(crossEntropyScope(input({ tokenCount: 2001 }))).toBe(0);
    expect(crossEntropyScope(input({ utterances: ['Alice: a', 'Alice: a'] }))).toBe(0);
  });

  it('stops before a multi-name utterance', () => {
    const utterances = ['Alice: first', 'Bob: second', 'Alice: Bob: third'];
    expect(crossEntropyScope(input({ utterances }))).toBe(2);
    expect(crossEntropyScope(input({ path: 'sft', utterances }))).toBe(3);
  });

  it('lets the caller pass only the CE the reward reads', () => {
    const r = optimaReward(input({ utterances: ['Alice: first', 'Bob: second', 'Alice: Bob: third'], crossEntropies: [2, 4] }));
    expect(r.pplScore).toBe(0.25);
    expect(optimaReward(input({ utterances: ['Alice: a', 'Alice: a'], crossEntropies: [] })).pplScore).toBe(0);
  });
});

describe('optimaReward: bad arguments throw RangeError naming the field', () => {
  it.each<[string, Partial<RewardInput>]>([
    ['tokenCount', { tokenCount: -1 }],
    ['tokenCount', { tokenCount: Number.NaN }],
    ['tokenCount', { tokenCount: 1.5 }],
    ['correct', { correct: Number.NaN }],
    ['correct', { correct: 1.2 }],
    ['correct', { correct: -0.1 }],
    ['normalizer', { normalizer: Number.NaN }],
    ['normalizer', { normalizer: -1 }],
    ['normalizer', { normalizer: Number.POSITIVE_INFINITY }],
    ['crossEntropies\\[1\\]', { crossEntropies: [1, Number.NaN] }],
    ['crossEntropies\\[0\\]', { crossEntropies: [-0.1, 1] }],
    ['crossEntropies', { crossEntropies: [1] }],
    ['crossEntropies', { crossEntropies: [1, 2, 3] }],
    ['agentNames', { agentNames: [] }],
    ['agentNames\\[1\\]', { agentNames: ['Alice', ''] }],
    ['maxTokens', { maxTokens: 0 }],
    ['weights.lambdaToken', { weights: { lambdaToken: Number.NaN, lambdaLoss: 1 } }],
    ['weights.lambdaLoss', { weights: { lambdaToken: -0.6, lambdaLoss: Number.POSITIVE_INFINITY } }],
    ['path', { path: 'dpo' as RewardInput['path'] }],
  ])('%s', (field, over) => {
    expect(() => optimaReward(input(over))).toThrow(RangeError);
    expect(() => optimaReward(input(over))).toThrow(new RegExp(`^${field}`));
  });
});

describe('token normalizers', () => {
  // Expected values from numpy 2.4.6: int(np.percentile(v, [80])[0]) + 1.
  it.each<[string, number[], number, number]>([
    ['single', [10], 10, 11],
    ['five', [1, 2, 3, 4, 5], 4.2, 5],
    ['zeros', [0, 0, 0], 0, 1],
    ['two', [0, 1], 0.8, 1],
    ['ten unsorted', [100, 50, 200, 75, 300, 125, 30, 90, 60, 40], 140, 141],
    ['six, integer index', [5, 1, 4, 2, 3, 100], 5, 6],
    ['sixteen', Array.from({ length: 16 }, (_, i) => i), 12, 13],
    ['hundred', Array.from({ length: 100 }, (_, i) => i * 7), 554.4, 555],
  ])('P80 of %s', (_name, counts, p80, m) => {
    expect(numpyPercentileLinear(counts, 80)).toBeCloseTo(p80, 9);
    expect(tokenNormalizerP80(counts)).toBe(m);
  });

  it('P80 matches numpy where a weighted-average formula would truncate one lower', () => {
    // numpy gives exactly 2549.0; a·(1−g) + b·g gives 2548.9999999999995.
    const v = [
      3, 20, 41, 83, 85, 90, 110, 166, 179, 233, 263, 356, 372, 390, 426, 494, 530, 538, 646, 648, 665, 674, 714, 745, 774,
      786, 801, 835, 848, 849, 850, 908, 920, 1048, 1059, 1107, 1145, 1182, 1186, 1221, 1255, 1291, 1293, 1370, 1378, 1388,
      1408, 1442, 1462, 1468, 1479, 1487, 1536, 1542, 1595, 1656, 1703, 1781, 1879, 1908, 1913, 1962, 1970, 1981, 2086,
      2112, 2268, 2314, 2354, 2359, 2404, 2414, 2497, 2562, 2606, 2611, 2616, 2628, 2652, 2662, 2672, 2747, 2807, 2836,
      2839, 2854, 2875, 2904, 2910, 2939, 2939, 2956,
    ];
    expect(numpyPercentileLinear(v, 80)).toBe(2549);
    expect(tokenNormalizerP80(v)).toBe(2550);
  });

  it('P80 rejects empty and bad counts', () => {
    expect(() => tokenNormalizerP80([])).toThrow(RangeError);
    expect(() => tokenNormalizerP80([1, -2])).toThrow(/tokenCounts\[1\]/);
    expect(() => tokenNormalizerP80([Number.NaN])).toThrow(/tokenCounts\[0\]/);
  });

  it('max excludes "large" samples', () => {
    expect(tokenNormalizerMax([100, 2500, 300], [false, true, false])).toBe(300);
    expect(tokenNormalizerMax([0, 0], [false, false])).toBe(0);
  });

  it('max throws when every sample is large (the reference drops the task) or lengths differ', () => {
    expect(() => tokenNormalizerMax([100], [true])).toThrow(RangeError);
    expect(() => tokenNormalizerMax([], [])).toThrow(RangeError);
    expect(() => tokenNormalizerMax([1, 2], [false])).toThrow(/large/);
  });
});

describe('utteranceCrossEntropies', () => {
  function fakeBackend(table: Record<string, LogLikelihood>) {
    const calls: { messages: ChatMessage[]; text: string }[] = [];
    return {
      calls,
      async logLikelihood(messages: ChatMessage[], text: string): Promise<LogLikelihood> {
        calls.push({ messages, text });
        const ll = table[text];
        if (!ll) throw new Error(`unexpected text ${text}`);
        return ll;
      },
    };
  }

  it('is -logprob/tokens of each utterance alone, in order', async () => {
    const backend = fakeBackend({ 'Alice: a': { logprob: -6, tokens: 3 }, 'Bob: b': { logprob: -1.5, tokens: 6 } });
    expect(await utteranceCrossEntropies(backend, ['Alice: a', 'Bob: b'])).toEqual([2, 0.25]);
    expect(backend.calls.every((c) => c.messages.length === 0)).toBe(true);
  });

  it('is 0 for nothing scored or a certain text, and rejects a broken backend', async () => {
    expect(await utteranceCrossEntropies(fakeBackend({ x: { logprob: 0, tokens: 0 } }), ['x'])).toEqual([0]);
    expect(Object.is((await utteranceCrossEntropies(fakeBackend({ x: { logprob: 0, tokens: 4 } }), ['x']))[0], 0)).toBe(true);
    await expect(utteranceCrossEntropies(fakeBackend({ x: { logprob: Number.NaN, tokens: 2 } }), ['x'])).rejects.toThrow(RangeError);
    await expect(utteranceCrossEntropies(fakeBackend({ x: { logprob: 1, tokens: 2 } }), ['x'])).rejects.toThrow(/logprob/);
    await expect(utteranceCrossEntropies(fakeBackend({ x: { logprob: -1, tokens: -2 } }), ['x'])).rejects.toThrow(/tokens/);
  });
});

describe('DEFAULT_REWARD_WEIGHTS', () => {
  it.each<[string, number, number, number, number, number]>([
    // dataset, λ1, λ2, θ_sft, θ_filter, DITS DPO β
    ['hotpotqa', -0.6, 1, 0.5, 0.4, 0.1],
    ['2wiki', -0.6, 1, 0.5, 0.4, 0.5],
    ['triviaqa', -0.6, 1, 0.6, 0.43, 0.7],
    ['cbt', -0.6, 1, 0.5, 0.4, 0.7],
    ['gsm8k', -0.4, 0.9, 0.6, 0.45, 0.5],
    ['math', -0.4, 0.9, 0.6, 0.45, 0.1],
    ['arc', -0.5, 0.6, 0.6, 0.45, 0.1],
    ['mmlu', -0.6, 0.7, 0.7, 0.45, 0.1],
  ])('%s', (dataset, lambdaToken, lambdaLoss, sftThreshold, pairThreshold, dpoBeta) => {
    const w = DEFAULT_REWARD_WEIGHTS[dataset as (typeof REWARD_DATASETS)[number]];
    expect(w).toEqual({ lambdaToken, lambdaLoss, sftThreshold, pairThreshold, pairGap: 0.2, dpoBeta });
    expect(rewardSchema.parse(w)).toEqual(w);
  });

  it('covers exactly the eight datasets', () => {
    expect(Object.keys(DEFAULT_REWARD_WEIGHTS).sort()).toEqual([...REWARD_DATASETS].sort());
  });
});
