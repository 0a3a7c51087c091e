/**
 * The parent side of the MATH-equivalence worker (math-worker.mjs): one long-lived worker
 * thread and a FIFO queue, one pair in flight at a time. A pair that outlives its time limit
 * costs the worker its life: it is terminated and the next pair gets a fresh one, so one
 * pathological expression never delays the rest of a run by more than its limit.
 */
import { Worker } from 'node:worker_threads';

/** How one pair ended: the worker's answer, or the time limit. */
export type MathVerdict = 'equal' | 'different' | 'timeout';

/** Generous: loading the Compute Engine takes well under a second. */
const STARTUP_LIMIT_MS = 60_000;
const WORKER_URL = new URL('./math-worker.mjs', import.meta.url);

interface Job {
  id: number;
  a: string;
  b: string;
  timeoutMs: number;
  resolve: (v: MathVerdict) => void;
  reject: (e: Error) => void;
}

type WorkerReply = { type: 'ready' } | { id: number; equal: boolean; error?: string };

class MathWorkerClient {
  private worker: Worker | undefined;
  private ready = false;
  private startupTimer: NodeJS.Timeout | undefined;
  private readonly queue: Job[] = [];
  private current: { job: Job; timer: NodeJS.Timeout } | undefined;
  private nextId = 1;

  check(a: string, b: string, timeoutMs: number): Promise<MathVerdict> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, a, b, timeoutMs, resolve, reject });
      this.pump();
    });
  }

  /** Terminates the worker; queued and in-flight pairs are rejected. */
  async close(): Promise<void> {
    const pending = [...(this.current ? [this.current.job] : []), ...this.queue.splice(0)];
    if (this.current) clearTimeout(this.current.timer);
    this.current = undefined;
    const worker = this.discardWorker();
    for (const job of pending) job.reject(new Error('math worker closed before the pair was checked'));
    if (worker) await worker.terminate();
  }

  private pump(): void {
    this.updateRef();
    if (this.current || this.queue.length === 0) return;
    if (!this.worker) this.spawn();
    if (!this.ready) return; // the 'ready' message pumps again
    const job = this.queue.shift() as Job;
    // The clock starts at dispatch: time spent queued or starting up is not the pair's fault.
    const timer = setTimeout(() => this.onTimeout(job), job.timeoutMs);
    this.current = { job, timer };
    this.worker?.postMessage({ id: job.id, a: job.a, b: job.b });
  }

  private spawn(): void {
    const worker = new Worker(WORKER_URL);
    this.worker = worker;
    this.ready = false;
    this.startupTimer = setTimeout(() => this.onStartupFailure(worker, new Error(`math worker did not start within ${STARTUP_LIMIT_MS} ms`)), STARTUP_LIMIT_MS);
    this.startupTimer.unref();
    worker.on('message', (msg: WorkerReply) => this.onMessage(worker, msg));
    worker.on('error', (err) => this.onCrash(worker, err));
    worker.on('exit', (code) => this.onCrash(worker, new Error(`math worker exited with code ${code}`)));
  }

  private onMessage(worker: Worker, msg: WorkerReply): void {
    if (worker !== this.worker) return; // a late reply from a worker already given up on
    if ('type' in msg) {
      clearTimeout(this.startupTimer);
      this.ready = true;
    } else if (this.current && msg.id === this.current.job.id) {
      this.finish(msg.equal ? 'equal' : 'different');
    }
    this.pump();
  }

  private onTimeout(job: Job): void {
    if (this.current?.job !== job) return;
    const worker = this.discardWorker();
    this.finish('timeout');
    // Fire and forget: the next pair must not wait for a busy thread to be torn down.
    void worker?.terminate();
    this.pump();
  }

  private onCrash(worker: Worker, err: Error): void {
    if (worker !== this.worker) return;
    if (!this.ready) return this.onStartupFailure(worker, err);
    this.discardWorker();
    // A crash mid-pair is that pair's failure (counted as not equivalent), not the run's.
    if (this.current) this.finish('different');
    this.pump();
  }

  /** The worker cannot even start (missing module, …): fail loudly rather than score zeros. */
  private onStartupFailure(worker: Worker, err: Error): void {
    if (worker !== this.worker) return;
    this.discardWorker();
    void worker.terminate();
    for (const job of this.queue.splice(0)) job.reject(new Error(`math worker failed to start: ${err.message}`));
    this.updateRef();
  }

  private finish(verdict: MathVerdict): void {
    const current = this.current;
    if (!current) return;
    clearTimeout(current.timer);
    this.current = undefined;
    current.job.resolve(verdict);
  }

  private discardWorker(): Worker | undefined {
    const worker = this.worker;
    clearTimeout(this.startupTimer);
    this.worker = undefined;
    this.ready = false;
    worker?.removeAllListeners();
    // Swallow the errors a terminated thread may still emit.
    worker?.on('error', () => {});
    return worker;
  }

  /**
   * The worker keeps the process alive only while a pair is waiting for it; an idle worker
   * is unref'd so a CLI or test run exits without calling close().
   */
  private updateRef(): void {
    if (!this.worker) return;
    if (this.current || this.queue.length > 0) this.worker.ref();
    else this.worker.unref();
  }
}

const client = new MathWorkerClient();

/** Checks one pair of (normalised) answers in the worker; `timeoutMs` runs from dispatch. */
export function checkInWorker(a: string, b: string, timeoutMs: number): Promise<MathVerdict> {
  return client.check(a, b, timeoutMs);
}

export function closeMathWorkers(): Promise<void> {
  return client.close();
}
