import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../engine/report/table.ts';
import { remainingTime } from '../../actors/compare.ts';

/** The seconds a formatted duration spells out. */
function seconds(text: string): number {
  const m = /^(?:(\d+) h (\d\d) min|(\d+) min (\d\d) s|(\d+) s)$/.exec(text);
  expect(m, text).not.toBeNull();
  const [, h, hm, mm, ms, s] = (m as RegExpExecArray).map((x) => (x === undefined ? undefined : Number(x)));
  if (h !== undefined) return h * 3600 + (hm as number) * 60;
  if (mm !== undefined) return mm * 60 + (ms as number);
  return s as number;
}

describe('formatDuration', () => {
  it('rounds to whole seconds before splitting, so two minutes never reads 1 min 60 s', () => {
    expect(formatDuration(119_600)).toBe('2 min 00 s');
    expect(formatDuration(59_500)).toBe('1 min 00 s');
    expect(formatDuration(3_599_700)).toBe('1 h 00 min');
    expect(formatDuration(4_400)).toBe('4 s');
  });

  test.prop([fc.integer({ min: 0, max: 10 * 24 * 3600 * 1000 })])('spells the rounded seconds (to the minute past an hour), every part in range', (ms) => {
    const text = formatDuration(ms);
    const total = Math.round(ms / 1000);
    const spelled = seconds(text);
    if (total >= 3600) expect(spelled).toBe(total - (total % 60));
    else expect(spelled).toBe(total);
  });
});

describe('remainingTime', () => {
  it('estimates from the runs made, ignores reused ones, and says nothing after the last', () => {
    const clock = remainingTime();
    expect(clock.status('reused', 1, 5)).toBe('reused');
    expect(clock.status('ran', 10_000, 4)).toBe('ran in 10.0 s; about 40 s left');
    expect(clock.status('resumed', 20_000, 4)).toBe('resumed in 20.0 s; about 1 min 00 s left');
    expect(clock.status('ran', 1_000, 0)).toBe('ran in 1.0 s');
  });
});
