/**
 * The progress bar as a terminal shows it (test/cli/screen.ts): its time left, and no bar left
 * on screen once a summary is printed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { progressBar } from '../../cli/progress.ts';
import { onTerminal, Screen } from './screen.ts';

describe('progressBar on a terminal', () => {
  let screen: Screen;
  let undo: () => void;
  beforeEach(() => {
    vi.useFakeTimers();
    screen = new Screen();
    undo = onTerminal(screen);
  });
  afterEach(() => {
    vi.useRealTimers();
    undo();
  });

  it('shows 119 s left as 2m00s, not 1m60s', () => {
    const bar = progressBar('search', 120, false);
    vi.advanceTimersByTime(1000);
    bar.update(1);
    // The next frame draws it.
    vi.advanceTimersByTime(200);
    const shown = screen.shown().join('\n');
    bar.stop();
    expect(shown).toContain('1/120 | 2m00s left');
    expect(shown).not.toContain('1m60s');
  });

  it('erases itself before the summary, so no line of the screen keeps a piece of it', () => {
    const bar = progressBar('search', 10, false);
    vi.advanceTimersByTime(500);
    bar.update(5, '12 pairs');
    vi.advanceTimersByTime(500);
    bar.stop();
    process.stdout.write('10 tasks  240 rollouts  24 pairs\n');
    expect(screen.shown().filter(Boolean)).toEqual(['10 tasks  240 rollouts  24 pairs']);
  });

  it('prints a notice over the bar on its own line and draws the bar again below it', () => {
    const bar = progressBar('search', 10, false);
    vi.advanceTimersByTime(500);
    bar.update(3);
    bar.print('dits: a notice\n', process.stderr);
    vi.advanceTimersByTime(500);
    const [notice, drawn] = screen.shown();
    bar.stop();
    expect(notice).toBe('dits: a notice');
    expect(drawn).toMatch(/^search .* 3\/10 \|/);
  });
});
