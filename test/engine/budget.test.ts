import { describe, expect, it } from 'vitest';
import { fc, test as propTest } from '@fast-check/vitest';
import { BudgetExhausted, capped, isBudgetExhausted, Meter, metered } from '../../engine/base/budget.ts';
import type { ModelBackend, SampleRequest } from '../../engine/base/model-backend.ts';

/** Replies with `tokens(seed)` tokens after `delay(seed)` macrotask turns. */
function fake(tokens: (seed: number) => number, delay: (seed: number) => number = () => 0): ModelBackend {
  return {
    name: 'fake',
    async sample(req) {
      for (let i = 0; i < delay(req.seed); i++) await new Promise((r) => setImmediate(r));
      return [{ text: 'x', tokens: tokens(req.seed), finishReason: 'stop' }];
    },
    async logLikelihood() {
      return { logprob: -1, tokens: 1 };
    },
    countTokens: () => 1,
  };
}

const request = (seed: number, maxTokens = 10): SampleRequest => ({ messages: [], speaker: 'A', n: 1, temperature: 0, maxTokens, seed });

describe('budget meters (§4)', () => {
  it('count calls and generated tokens', async () => {
    const meter = new Meter();
    const b = metered(fake((s) => s), meter);
    await b.sample(request(3));
    await b.sample(request(4));
    await b.logLikelihood([], 'x');
    expect(meter.reading()).toEqual({ calls: 2, tokens: 7, scoringCalls: 1 });
  });

  it('refuse a call that cannot fit even with nothing in flight, naming the budget', async () => {
    const meter = new Meter();
    const b = capped(fake(() => 6), meter, 15);
    await b.sample(request(1)); // 6 spent; 6 + 10 > 15 now
    await expect(b.sample(request(2))).rejects.toBeInstanceOf(BudgetExhausted);
    await expect(b.sample(request(2))).rejects.toThrow(/token budget of 15 reached/);
    expect(meter.tokens).toBe(6);
    expect(isBudgetExhausted(new Error('wrapped', { cause: new BudgetExhausted('x') }))).toBe(true);
  });

  propTest.prop([
    fc.array(fc.record({ tokens: fc.integer({ min: 0, max: 20 }), delay: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 40 }),
    fc.integer({ min: 0, max: 300 }),
  ])('are never overspent by concurrent calls', async (calls, cap) => {
    const meter = new Meter();
    const b = capped(fake((s) => calls[s]!.tokens, (s) => calls[s]!.delay), meter, cap);
    const results = await Promise.allSettled(calls.map((_, i) => b.sample(request(i, 20))));
    expect(meter.tokens).toBeLessThanOrEqual(cap);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(BudgetExhausted);
    // A refusal only happens when the worst case of one more call no longer fits.
    if (results.some((r) => r.status === 'rejected')) expect(meter.tokens + 20).toBeGreaterThan(cap);
  });
});
