import { describe, expect, it } from 'vitest';
import { remainingTime } from '../../actors/compare.ts';

describe('remainingTime', () => {
  it('estimates from the runs made, ignores reused ones, and says nothing after the last', () => {
    const clock = remainingTime();
    expect(clock.status('reused', 1, 5)).toBe('reused');
    expect(clock.status('ran', 10_000, 4)).toBe('ran in 10.0 s; about 40s left');
    expect(clock.status('resumed', 20_000, 4)).toBe('resumed in 20.0 s; about 1m00s left');
    expect(clock.status('ran', 1_000, 0)).toBe('ran in 1.0 s');
  });
});
