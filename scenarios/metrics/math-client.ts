/**
 * The parent side of the MATH-equivalence worker (math-worker.mjs): one long-lived worker
 * thread behind a Comlink proxy, one pair in flight at a time, so that the crash guard times
 * the pair itself and not the ones queued before it.
 *
 * The verdict never depends on time: the worker's budget decides, from the inputs, which pairs
 * it will not evaluate. The guard is there for a bug in that budget; when it fires, the worker
 * is terminated and the call fails with an error naming the pair, rather than scoring it zero.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';

/** How one pair ended; 'over-budget' is a fixed "not equivalent" (see math.ts). */
export type MathVerdict = 'equal' | 'different' | 'over-budget';

interface MathWorkerApi {
  check(a: string, b: string): MathVerdict;
  loaded(): true;
}

// comlink has no exports map: under NodeNext its ESM adapter has no types, so load the UMD one.
const nodeEndpoint = createRequire(import.meta.url)('comlink/dist/umd/node-adapter.js') as (worker: Worker) => Comlink.Endpoint;

/** Generous: loading the Compute Engine takes well under a second. */
const STARTUP_LIMIT_MS = 60_000;
const WORKER_URL = new URL('./math-worker.mjs', import.meta.url);

interface Live {
  worker: Worker;
  api: Comlink.Remote<MathWorkerApi>;
  /** Resolves once the worker has loaded the engine; rejects if it never does. */
  started: Promise<void>;
  /** Rejects when the worker dies or is stopped. */
  died: Promise<never>;
  kill: (reason: Error) => void;
}

class MathWorkerClient {
  private live: Live | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  /** Bumped by close(): pairs queued before it are rejected, not run on a new worker. */
  private epoch = 0;

  check(a: string, b: string, guardMs: number): Promise<MathVerdict> {
    const epoch = this.epoch;
    this.pending++;
    this.updateRef();
    const run = (): Promise<MathVerdict> =>
      epoch === this.epoch ? this.dispatch(a, b, guardMs) : Promise.reject(failure(a, b, 'the math worker was closed before the pair was checked'));
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => {});
    return result.finally(() => {
      this.pending--;
      this.updateRef();
    });
  }

  /** Terminates the worker; queued and in-flight pairs are rejected. */
  async close(): Promise<void> {
    this.epoch++;
    const live = this.live;
    this.live = undefined;
    if (!live) return;
    live.kill(new Error('the math worker was closed before the pair was checked'));
    await live.worker.terminate();
  }

  private async dispatch(a: string, b: string, guardMs: number): Promise<MathVerdict> {
    const live = this.live ?? this.spawn();
    let timer: NodeJS.Timeout | undefined;
    try {
      // The guard starts at dispatch: start-up and queueing are not the pair's.
      await live.started;
      const guard = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no verdict within ${guardMs} ms, so the worker was stopped (the budget should have caught this pair)`)), guardMs);
      });
      return await Promise.race([live.api.check(a, b), live.died, guard]);
    } catch (err) {
      if (this.live === live) {
        this.live = undefined;
        live.kill(err as Error);
        void live.worker.terminate();
      }
      throw failure(a, b, (err as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  private spawn(): Live {
    const worker = new Worker(WORKER_URL);
    let kill: (reason: Error) => void = () => {};
    const died = new Promise<never>((_, reject) => {
      kill = reject;
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the math worker exited with code ${code}`)));
    });
    died.catch(() => {}); // observed by whichever call is in flight, if any
    const api = Comlink.wrap<MathWorkerApi>(nodeEndpoint(worker));
    let timer: NodeJS.Timeout | undefined;
    const startup = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the math worker did not start within ${STARTUP_LIMIT_MS} ms`)), STARTUP_LIMIT_MS);
      timer.unref();
    });
    // The call is answered once the worker's top level, the engine's import, has run.
    const started = Promise.race([api.loaded().then(() => {}), died, startup]).finally(() => clearTimeout(timer));
    started.catch(() => {});
    const live = { worker, api, started, died, kill: (reason: Error) => kill(reason) };
    this.live = live;
    return live;
  }

  /** The worker keeps the process alive only while a pair waits for it, so a CLI or test run exits without calling close(). */
  private updateRef(): void {
    if (!this.live) return;
    if (this.pending > 0) this.live.worker.ref();
    else this.live.worker.unref();
  }
}

function failure(a: string, b: string, why: string): Error {
  return new Error(`MATH equivalence of ${JSON.stringify(a)} and ${JSON.stringify(b)}: ${why}`);
}

const client = new MathWorkerClient();

/** Checks one pair of (normalised) answers in the worker; `guardMs` (the crash guard) runs from dispatch. */
export function checkInWorker(a: string, b: string, guardMs: number): Promise<MathVerdict> {
  return client.check(a, b, guardMs);
}

export function closeMathWorkers(): Promise<void> {
  return client.close();
}
