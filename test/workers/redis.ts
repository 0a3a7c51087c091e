/**
 * Redis for the queue tests: Debian's redis-server, started privately on a free port (a test may
 * stop it), and `dits worker` processes. Without redis-server the tests skip, saying so, unless
 * DITS_REQUIRE_REDIS is set (.ci/run installs it and sets that).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO } from '../cli/helpers.ts';

export const HAVE_REDIS = spawnSync('redis-server', ['--version']).status === 0;
if (!HAVE_REDIS) {
  if (process.env.DITS_REQUIRE_REDIS) throw new Error('DITS_REQUIRE_REDIS is set, but redis-server is not installed');
  console.warn('queue tests skipped: redis-server is not installed (apt-get install redis-server)');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A redis-server on `port` (default: a free one), ready for connections. */
export async function startRedis(port?: number): Promise<RedisServer> {
  const p = port ?? (await freePort());
  const child = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForLine(child, /Ready to accept connections/);
  return { url: `redis://127.0.0.1:${p}`, port: p, stop: () => stopChild(child, 'SIGTERM') };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  log(): string;
  waitFor(pattern: RegExp): Promise<void>;
  /** Waits for the exit; resolves to its code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** A `dits worker` process (the real entry). */
export function startWorker(url: string, args: string[] = []): WorkerProcess {
  const child = spawn(process.execPath, [join(REPO, 'bin/dits.mjs'), 'worker', '--redis', url, '--stall-timeout', '1', ...args], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, log: () => text, waitFor: (pattern) => waitForLine(child, pattern, () => text), exited };
}

function waitForLine(child: ChildProcess, pattern: RegExp, seen: () => string = () => ''): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = seen();
    if (pattern.test(text)) return resolve();
    const onData = (d: Buffer | string) => {
      text += d.toString();
      if (pattern.test(text)) done(resolve);
    };
    const onExit = (code: number | null) => done(() => reject(new Error(`exited (${code}) before printing ${pattern}:\n${text}`)));
    const done = (then: () => void) => {
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      then();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
