/**
 * What `dits run` shows while it works (cli/progress.ts stageDisplay): on a terminal the
 * iteration, the stage and a bar for a stage that counts, a resumed count that measures the
 * time left on the work still to do, and a screen without a piece of bar once it is done; in a
 * log a plain line every ten seconds.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOG_INTERVAL_MS, stageDisplay } from '../../cli/progress.ts';
import { Screen } from './screen.ts';

/** A 120-column terminal (or a pipe, `tty` false) drawn on `screen`, with stdout drawn on it too. */
function streamOn(screen: Screen, tty: boolean) {
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    screen.write(String(s));
    return true;
  });
  return { isTTY: tty, columns: 120, write: (s: string) => (screen.write(s), true) };
}

describe('the stage display', () => {
  let screen: Screen;
  beforeEach(() => {
    vi.useFakeTimers();
    screen = new Screen();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  /** The screen after the next frame. */
  const frame = () => {
    vi.advanceTimersByTime(200);
    return screen.shown().filter(Boolean);
  };

  it('shows the iteration and the stage, with the time so far, and a bar with the count and time left once the stage counts', () => {
    const d = stageDisplay({ iterations: 2, quiet: false, stream: streamOn(screen, true) });
    d.stage(1, 'sft training');
    vi.advanceTimersByTime(3000);
    expect(frame()).toEqual(['iteration 1 of 2  sft training | 3s']);
    d.stage(1, 'search');
    d.count({ done: 0, total: 110 });
    vi.advanceTimersByTime(2000);
    d.count({ done: 10, total: 110 });
    // 100 tasks left at 5 a second.
    expect(frame()).toEqual([expect.stringMatching(/^iteration 1 of 2 {2}search [█░]+ 10\/110 \| 20s left$/)]);
    d.stop();
  });

  it('starts a resumed search at the tasks already done and gives the time left of the remaining ones', () => {
    const d = stageDisplay({ iterations: 1, quiet: false, stream: streamOn(screen, true) });
    d.stage(0, 'search');
    d.count({ done: 0, total: 99 });
    vi.advanceTimersByTime(500);
    // The checkpoint's 40 tasks come back at once, then one new task a second: 55 left, 55 s.
    d.count({ done: 40, total: 99, resumed: 40 });
    for (let done = 41; done <= 44; done++) {
      vi.advanceTimersByTime(1000);
      d.count({ done, total: 99, resumed: 40 });
    }
    expect(frame()).toEqual([expect.stringMatching(/ 44\/99 \| 55s left$/)]);
    d.stop();
  });

  it('erases the bar before each line it prints and when it stops, so the summary stands alone', () => {
    const d = stageDisplay({ iterations: 1, quiet: false, stream: streamOn(screen, true) });
    d.stage(0, 'eval');
    d.count({ done: 150, total: 300 });
    frame();
    d.print('iteration 0: test f1 base 0.5033 → SFT 0.6525 → DPO 0.7925\n');
    expect(frame()).toEqual(['iteration 0: test f1 base 0.5033 → SFT 0.6525 → DPO 0.7925', expect.stringMatching(/^iteration 0 of 1 {2}eval .* 150\/300 /)]);
    d.stop();
    process.stdout.write('done in 2.3 s; wrote runs/start\n');
    expect(screen.shown().filter(Boolean)).toEqual(['iteration 0: test f1 base 0.5033 → SFT 0.6525 → DPO 0.7925', 'done in 2.3 s; wrote runs/start']);
  });

  it('in a log, says where the run is every ten seconds and nothing in between', () => {
    const d = stageDisplay({ iterations: 2, quiet: false, stream: streamOn(screen, false) });
    d.stage(0, 'search');
    d.count({ done: 30, total: 100 });
    vi.advanceTimersByTime(LOG_INTERVAL_MS - 1);
    expect(screen.shown().filter(Boolean)).toEqual([]);
    vi.advanceTimersByTime(1);
    d.stage(0, 'warm start');
    vi.advanceTimersByTime(LOG_INTERVAL_MS);
    d.stop();
    vi.advanceTimersByTime(10 * LOG_INTERVAL_MS);
    expect(screen.shown().filter(Boolean)).toEqual(['dits: iteration 0 of 2: search 30/100 (10s in this stage)', 'dits: iteration 0 of 2: warm start (10s in this stage)']);
  });

  it('shows nothing when quiet', () => {
    const d = stageDisplay({ iterations: 1, quiet: true, stream: streamOn(screen, true) });
    d.stage(0, 'search');
    d.count({ done: 3, total: 10 });
    vi.advanceTimersByTime(2 * LOG_INTERVAL_MS);
    d.stop();
    expect(screen.shown().filter(Boolean)).toEqual([]);
  });
});
