/** A progress bar on stderr when it is a terminal; silent otherwise (logs and CI stay clean). */
import cliProgress from 'cli-progress';

export interface Progress {
  /** `info` is a short free-form status shown after the bar. */
  update(done: number, info?: string): void;
  /** True when a bar is drawn (a terminal, not quiet): callers skip work that only feeds it. */
  readonly active: boolean;
  stop(): void;
}

export function progressBar(label: string, total: number | undefined, quiet: boolean): Progress {
  if (quiet || !process.stderr.isTTY) return { update() {}, active: false, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} {bar} {value}${total ? '/{total}' : ''} | {eta_formatted} left | {info}`,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total ?? 0, 0, { info: '' });
  return {
    update: (done, info) => bar.update(done, info === undefined ? {} : { info }),
    active: true,
    stop: () => bar.stop(),
  };
}
