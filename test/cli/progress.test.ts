/** Durations as the progress display prints them: rounded before they are split, never 1m60s. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../engine/report/table.ts';

/** Seconds a formatted duration stands for. */
function seconds(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text) as RegExpExecArray;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

describe('formatDuration', () => {
  it('reads 45s, 2m05s or 1h03m, never a field of 60, and is the duration rounded to its last unit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 3600 * 1000 }), fc.constantFrom(1, 5), (ms, step) => {
        const text = formatDuration(ms, step);
        expect(text).toMatch(/^(\d|[1-5]\d)s$|^[1-5]?\dm[0-5]\ds$|^\d+h[0-5]\dm$/);
        // Under an hour the last unit is `step` seconds, past it a minute: off by half of it at most.
        const unit = text.endsWith('m') ? 60 : step;
        expect(Math.abs(seconds(text) - ms / 1000)).toBeLessThanOrEqual(unit / 2 + 1e-9);
      }),
      { numRuns: 20_000 },
    );
  });

  it('rounds before it splits: 119.6 s is 2m00s, 7,199 s is 2h00m', () => {
    expect(formatDuration(119_600)).toBe('2m00s');
    expect(formatDuration(119_000, 5)).toBe('2m00s');
    expect(formatDuration(7_199_000)).toBe('2h00m');
    expect(formatDuration(59_499)).toBe('59s');
    expect(formatDuration(59_500)).toBe('1m00s');
  });
});

