/**
 * Progress on stderr. On a terminal: a bar with counts and time left (cli-progress), erased
 * before anything else is printed, so no summary line starts with the remains of a bar.
 * Elsewhere (a log, CI) bars are silent; `dits run`'s stage display writes a plain line every
 * ten seconds instead (stageDisplay).
 */
import { clearLine, cursorTo } from 'node:readline';
import cliProgress from 'cli-progress';
import { formatDuration } from '../engine/report/table.ts';
import type { StageCount } from '../actors/run-stages.ts';

/** The output a display draws on: process.stderr, or a stand-in in tests. */
export interface ProgressStream {
  write(s: string): boolean;
  isTTY?: boolean;
  columns?: number;
}


/**
 * cli-progress's time formatter, given seconds or a word ('INF', 'NULL', '0' before any rate is
 * known). Its step (5 s for the time left) applies past ten seconds, as cli-progress's own does.
 */
const formatTime = (t: unknown, _options: unknown, step: number) => (typeof t === 'number' ? formatDuration(t * 1000, t > 10 ? step : 1) : '?');

/**
 * cli-progress's terminal without its cursor save and restore: a line printed while the bar is
 * up scrolls the screen, and restoring the saved position on stop then lands on an older row.
 */
function terminal(stream: ProgressStream) {
  const s = stream as NodeJS.WritableStream;
  return {
    isTTY: () => stream.isTTY === true,
    getWidth: () => stream.columns ?? 80,
    write: (text: string) => stream.write(text),
    newline: () => stream.write('\n'),
    cursorSave() {},
    cursorRestore() {},
    cursor: (on: boolean) => stream.write(on ? '\x1B[?25h' : '\x1B[?25l'),
    lineWrapping: (on: boolean) => stream.write(on ? '\x1B[?7h' : '\x1B[?7l'),
    cursorTo: (x: number | null) => cursorTo(s, x ?? 0),
    cursorRelative() {},
    cursorRelativeReset: () => cursorTo(s, 0),
    clearRight: () => clearLine(s, 1),
    clearLine: () => clearLine(s, 0),
    clearBottom() {},
  };
}

export interface Progress {
  /** `info` is a short free-form status shown after the bar. */
  update(done: number, info?: string): void;
  /**
   * Starts the bar afresh at `done` of `total`: the time left is then measured on the work
   * after `done` only (a resumed search restores its finished tasks at once).
   */
  restart(done: number, total: number | undefined): void;
  /** True when a bar is drawn (a terminal, not quiet): callers skip work that only feeds it. */
  readonly active: boolean;
  /** Prints `line` (with its newline) on `to` (default stdout), the bar erased first and drawn again after. */
  print(line: string, to?: ProgressStream): void;
  /** Erases the bar. */
  stop(): void;
}

export interface ProgressOptions {
  /** Where the bar is drawn (default process.stderr); drawn only when it is a terminal. */
  stream?: ProgressStream;
}

/** One cli-progress bar on `stream` from `done` of `total`, in `format`. */
function startBar(stream: ProgressStream, format: string, total: number, done: number, info: string): cliProgress.SingleBar {
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WritableStream,
      terminal: terminal(stream),
      format,
      formatTime,
      hideCursor: true,
      clearOnComplete: true,
      // A line printed over the bar leaves the drawn text unchanged; redraw it anyway.
      forceRedraw: true,
      etaBuffer: 50,
    } as cliProgress.Options,
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, done, { info });
  return bar;
}

/** Erases the line the bar is on, prints `line` on `to`, and draws the bar again. */
function printOver(stream: ProgressStream, bar: cliProgress.SingleBar | undefined, line: string, to: ProgressStream): void {
  if (bar) {
    cursorTo(stream as NodeJS.WritableStream, 0);
    clearLine(stream as NodeJS.WritableStream, 0);
  }
  to.write(line);
  bar?.render();
}

const countFormat = (label: string, total: number | undefined) => `${label} {bar} {value}${total ? '/{total}' : ''} | {eta_formatted} left{info}`;

/** `{label} {bar} done/total | time left | info`, on a terminal and not quiet. */
export function progressBar(label: string, total: number | undefined, quiet: boolean, opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  if (quiet || !stream.isTTY) return { update() {}, restart() {}, active: false, print: (line, to = process.stdout) => void to.write(line), stop() {} };
  let info = '';
  let bar = startBar(stream, countFormat(label, total), total ?? 0, 0, info);
  return {
    update: (done, next) => {
      if (next !== undefined) info = ` | ${next}`;
      bar.update(done, { info });
    },
    restart: (done, n) => {
      bar.stop();
      bar = startBar(stream, countFormat(label, n), n ?? 0, done, info);
    },
    active: true,
    print: (line, to = process.stdout) => printOver(stream, bar, line, to),
    stop: () => bar.stop(),
  };
}

/** What `dits run` shows while it works: the iteration, the stage and, for a stage that counts, a bar. */
export interface StageDisplay {
  /** A stage begins; it is shown until the next one. */
  stage(iteration: number, label: string): void;
  count(c: StageCount): void;
  /** Prints `line` on `to` (default stdout), the display erased first. */
  print(line: string, to?: ProgressStream): void;
  stop(): void;
}

export interface StageDisplayOptions extends ProgressOptions {
  iterations: number;
  quiet: boolean;
}

/**
 * On a terminal: `iteration 1 of 2  search ████░░ 40/100 | 12s left`, or the time so far for a
 * stage without a count (SFT training, warm start, selection). Elsewhere (a log, CI) a plain
 * line on stderr every LOG_INTERVAL_MS, so a short run logs nothing and a long one shows where it is.
 */
export function stageDisplay(opts: StageDisplayOptions): StageDisplay {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return { stage() {}, count() {}, print: (line, to = process.stdout) => void to.write(line), stop() {} };
  return stream.isTTY ? terminalStages(stream, opts.iterations) : loggedStages(stream, opts.iterations);
}

function terminalStages(stream: ProgressStream, iterations: number): StageDisplay {
  let bar: cliProgress.SingleBar | undefined;
  let label = '';
  /** The count the bar was started at, while it shows one. */
  let counted: { total: number; resumed: number } | undefined;
  const restart = (format: string, total: number, done: number) => {
    bar?.stop();
    bar = startBar(stream, format, total, done, '');
  };
  return {
    stage: (t, name) => {
      label = `iteration ${t} of ${iterations}  ${name}`;
      counted = undefined;
      restart(`${label} | {duration_formatted}`, 0, 0);
    },
    count: (c) => {
      const resumed = c.resumed ?? 0;
      if (counted?.total !== c.total || counted.resumed !== resumed) {
        counted = { total: c.total, resumed };
        restart(countFormat(label, c.total), c.total, c.done);
      } else {
        bar?.update(c.done);
      }
    },
    print: (line, to = process.stdout) => printOver(stream, bar, line, to),
    stop: () => {
      bar?.stop();
      bar = undefined;
    },
  };
}

/** How often a display that is not on a terminal says where the run is. */
export const LOG_INTERVAL_MS = 10_000;

function loggedStages(stream: ProgressStream, iterations: number): StageDisplay {
  let label = '';
  let count = '';
  let since = 0;
  const timer = setInterval(() => stream.write(`dits: ${label}${count} (${formatDuration(Date.now() - since)} in this stage)\n`), LOG_INTERVAL_MS);
  // A display never keeps the process alive.
  timer.unref();
  return {
    stage: (t, name) => {
      label = `iteration ${t} of ${iterations}: ${name}`;
      count = '';
      since = Date.now();
    },
    count: ({ done, total }) => {
      count = ` ${done}/${total}`;
    },
    print: (line, to = process.stdout) => void to.write(line),
    stop: () => clearInterval(timer),
  };
}
