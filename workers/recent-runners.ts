/** The runners a worker built for the last few specs it saw, by key: a run's stages come one after another, so older ones are let go. */
export class RecentRunners<R> {
  private readonly runners = new Map<string, R>();

  constructor(private readonly keep = 4) {}

  /** The runner of `key`, built by `make` when it is not kept. */
  get(key: string, make: () => R): R {
    let runner = this.runners.get(key);
    if (runner === undefined) {
      runner = make();
      this.runners.set(key, runner);
      for (const old of this.runners.keys()) if (this.runners.size > this.keep) this.runners.delete(old);
    }
    return runner;
  }

  /** Forgets `key` (a runner that failed to build is built again next time). */
  forget(key: string): void {
    this.runners.delete(key);
  }
}
