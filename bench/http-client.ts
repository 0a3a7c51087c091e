/**
 * HTTP client throughput: the `openai` backend (engine/openai) against `dits serve-sim` with
 * 100 ms added latency and room for 256 requests in flight (more are turned away with 429).
 * The target: the client sustains at least 90% of the server's capacity, and its CPU per
 * request is reported.
 *
 *   node bin/run-ts.mjs bench/http-client.ts [--seconds 8] [--warmup 2] [--repeats 3]
 *       [--outstanding 512] [--latency 100] [--capacity 256] [--only reference|client]
 *
 * serve-sim runs as a separate process (hotpotqa, 200 generated tasks, task seed 0). The
 * requests are the turns of simulated dialogues on those tasks (prompts as the engine renders
 * them, sampled in process), each sent with a fresh seed, so no two requests are the same.
 *
 * The server's capacity is reported two ways: in theory, capacity / latency (256 / 0.1 s =
 * 2,560 req/s), and measured: a minimal load generator (an undici Pool of 256 connections,
 * bodies serialised up front, exactly 256 requests outstanding, answers read and discarded)
 * for the same window. On a small machine the server may be CPU-bound below the theoretical
 * figure, so the measured ceiling is the honest reference.
 *
 * The client under test is connectOpenAI with maxInFlight 256 (no cache, bundled tokenizer,
 * speaker prefill), driven by `--outstanding` concurrent backend.sample calls refilled as they
 * complete, so its own pool, not the driver, is the limit. Each run warms up for `--warmup`
 * seconds, then counts the requests completed in the next `--seconds` seconds; the process's CPU
 * time over that window (process.cpuUsage) divided by those requests is the CPU per request.
 * /sim/stats is polled every 500 ms for the server's in-flight count. Runs alternate reference
 * and client, `--repeats` times each; medians are reported.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Pool } from 'undici';
import type { ChatMessage, SampleRequest } from '../engine/base/model-backend.ts';
import { connectOpenAI } from '../engine/openai/index.ts';
import { generateIeTasks } from '../engine/sim/generate.ts';
import type { SimServerStats } from '../serve-sim/server.ts';
import { createSimWorld } from '../engine/sim/world.ts';
import { resolveScenario } from '../scenarios/scenario-file.ts';
import { dialogueTurns, type Fixture } from '../test/serve-sim/helpers.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    repeats: { type: 'string', default: '3' },
    outstanding: { type: 'string', default: '512' },
    latency: { type: 'string', default: '100' },
    capacity: { type: 'string', default: '256' },
    only: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const REPEATS = Number(values.repeats);
const OUTSTANDING = Number(values.outstanding);
const LATENCY_MS = Number(values.latency);
const CAPACITY = Number(values.capacity);
const ONLY = values.only;
if (ONLY !== undefined && ONLY !== 'reference' && ONLY !== 'client') throw new Error(`--only: expected reference or client, got '${ONLY}'`);
for (const [k, v] of Object.entries({ SECONDS, WARMUP, REPEATS, OUTSTANDING, LATENCY_MS, CAPACITY })) {
  if (!(Number.isFinite(v) && v >= 0)) throw new Error(`${k}: expected a non-negative number, got ${v}`);
}
const TARGET_SHARE = 0.9;
const THEORETICAL = CAPACITY / (LATENCY_MS / 1000);
const TASKS = 200;
/** Dialogues (tasks) whose turns make the request set, and turns per dialogue. */
const DIALOGUES = 40;
const POLL_MS = 500;
const TEMPERATURE = 0.7;
const HEADERS = { 'content-type': 'application/json' };


const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// ---------------------------------------------------------------------------------------------
// The server: `dits serve-sim` in its own process.

interface Server {
  url: string;
  child: ChildProcess;
  stats: Client;
}

async function startServer(): Promise<Server> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const args = [
    fileURLToPath(new URL('../bin/dits.mjs', import.meta.url)),
    'serve-sim',
    '--scenario',
    'hotpotqa',
    '--generate',
    String(TASKS),
    '--port',
    '0',
    '--latency',
    String(LATENCY_MS),
    '--capacity',
    String(CAPACITY),
    '--over-capacity',
    '429',
  ];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (c: Buffer) => void (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve-sim did not start within 60 s; stderr: ${err}`)), 60_000);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /serve-sim: listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`serve-sim exited (${code ?? signal}) before listening; stderr: ${err}`));
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  child.stdout?.resume();
  return { url, child, stats: new Client(url, { keepAliveTimeout: 60_000 }) };
}

async function stopServer(s: Server | undefined): Promise<void> {
  if (s === undefined) return;
  await s.stats.close().catch(() => {});
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => s.child.once('exit', () => r()));
  s.child.kill('SIGTERM');
  const late = setTimeout(() => s.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(late);
}

async function serverStats(s: Server): Promise<SimServerStats> {
  const { body } = await s.stats.request({ path: '/sim/stats', method: 'GET' });
  return JSON.parse(await body.text()) as SimServerStats;
}

/** CPU time (user + system, ms) of the server process so far; null where /proc is unavailable. */
function serverCpuMs(s: Server): number | null {
  try {
    const stat = readFileSync(`/proc/${s.child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

async function waitIdle(s: Server): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await serverStats(s)).inFlight === 0) return;
    await sleep(50);
  }
  throw new Error('serve-sim still has requests in flight 10 s after a run');
}

// ---------------------------------------------------------------------------------------------
// The requests: turns of simulated dialogues on the server's own tasks.

interface Turn {
  speaker: string;
  messages: ChatMessage[];
}

function buildTurns(): { turns: Turn[]; maxTokens: number } {
  const scenario = resolveScenario('hotpotqa').scenario;
  const tasks = generateIeTasks(0, TASKS);
  const f: Fixture = { scenario, tasks, world: createSimWorld(scenario, tasks) };
  const turns: Turn[] = [];
  for (let i = 0; i < DIALOGUES; i++) {
    for (const t of dialogueTurns(f, i, scenario.turns.maxUtterances)) turns.push({ speaker: t.speaker, messages: t.messages });
  }
  return { turns, maxTokens: scenario.turns.maxTokens };
}

/** Every request of the whole bench gets its own seed. */
let nextSeed = 1;

// ---------------------------------------------------------------------------------------------
// One measured run: load from `start`, a window after the warm-up, the in-flight series.

interface RunResult {
  rate: number;
  /** The server's count of 200 answers over the window, per second. */
  serverRate: number;
  cpuMsPerRequest: number;
  /** The load process's CPU over the window, in cores (1 = one core busy). */
  cpuCores: number;
  /** The server process's CPU over the window, in cores; NaN when unknown. */
  serverCores: number;
  /** Event-loop utilization of the load process over the window. */
  elu: number;
  /** The server's in-flight count, sampled every POLL_MS from the start of the load. */
  series: Array<{ t: number; inFlight: number }>;
  /** Samples inside the measured window. */
  windowInFlight: number[];
  peakInFlight: number;
  /** Over-capacity answers (429) during the whole run. */
  overCapacity: number;
  /** Non-200 answers by status during the whole run, as the server counted them. */
  otherStatuses: Record<string, number>;
  errors: number;
  firstError: string | undefined;
  extra: string;
}

interface Load {
  /** Requests completed (answered 200 and handed to the caller) so far. */
  completed(): number;
  /** Stop issuing new requests; resolves once every outstanding one has settled. */
  stop(): Promise<void>;
  errors(): number;
  firstError(): string | undefined;
  extra?(): string;
}

async function measure(server: Server, start: () => Load): Promise<RunResult> {
  const before = await serverStats(server);
  const series: Array<{ t: number; inFlight: number }> = [];
  const t0 = performance.now();
  const load = start();
  const poller = setInterval(() => {
    const t = (performance.now() - t0) / 1000;
    serverStats(server).then(
      (s) => series.push({ t, inFlight: s.inFlight }),
      () => {},
    );
  }, POLL_MS);
  try {
    await sleep(WARMUP * 1000);
    const a = { t: performance.now(), n: load.completed(), cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), srv: serverCpuMs(server) };
    const aStats = await serverStats(server);
    await sleep(SECONDS * 1000);
    const b = { t: performance.now(), n: load.completed(), cpu: process.cpuUsage(a.cpu), elu: performance.eventLoopUtilization(a.elu), srv: serverCpuMs(server) };
    const bStats = await serverStats(server);
    clearInterval(poller);
    await load.stop();
    const after = await serverStats(server);
    const secs = (b.t - a.t) / 1000;
    const n = b.n - a.n;
    const cpuMs = (b.cpu.user + b.cpu.system) / 1000;
    const windowStart = (a.t - t0) / 1000;
    const windowEnd = (b.t - t0) / 1000;
    const otherStatuses: Record<string, number> = {};
    for (const [status, count] of Object.entries(after.byStatus)) {
      const d = count - (before.byStatus[status] ?? 0);
      if (status !== '200' && d > 0) otherStatuses[status] = d;
    }
    series.sort((x, y) => x.t - y.t);
    return {
      rate: n / secs,
      serverRate: (bStats.completed - aStats.completed) / secs,
      cpuMsPerRequest: cpuMs / n,
      cpuCores: cpuMs / (b.t - a.t),
      serverCores: a.srv !== null && b.srv !== null ? (b.srv - a.srv) / (b.t - a.t) : Number.NaN,
      elu: b.elu.utilization,
      series,
      windowInFlight: series.filter((s) => s.t >= windowStart && s.t <= windowEnd).map((s) => s.inFlight),
      peakInFlight: after.peakInFlight,
      overCapacity: after.faultsInjected.capacity - before.faultsInjected.capacity,
      otherStatuses,
      errors: load.errors(),
      firstError: load.firstError(),
      extra: load.extra?.() ?? '',
    };
  } finally {
    clearInterval(poller);
  }
}

// ---------------------------------------------------------------------------------------------
// The reference: a minimal load generator, exactly CAPACITY requests outstanding.

/** `lanes` loops, each calling `one` until stopped: the load of a run, with completions and errors counted. */
function laneLoad(lanes: number, one: () => Promise<void>): Load {
  let stopped = false;
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
  const lane = async (): Promise<void> => {
    while (!stopped) {
      try {
        await one();
        completed++;
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message;
      }
    }
  };
  const running = Array.from({ length: lanes }, lane);
  return {
    completed: () => completed,
    stop: async () => {
      stopped = true;
      await Promise.all(running);
    },
    errors: () => errors,
    firstError: () => firstError,
  };
}

async function referenceRun(server: Server, turns: Turn[], maxTokens: number): Promise<RunResult> {
  // The client's body byte for byte, up to the seed (its last key), serialised once.
  const model = 'dits-sim';
  const prefixes = turns.map((t) => {
    const s = JSON.stringify({
      model,
      messages: [...t.messages, { role: 'assistant', content: `${t.speaker}:` }],
      continue_final_message: true,
      add_generation_prompt: false,
      n: 1,
      temperature: TEMPERATURE,
      max_tokens: maxTokens,
    });
    return `${s.slice(0, -1)},"seed":`;
  });
  const pool = new Pool(server.url, { connections: CAPACITY, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
  let k = 0;
  const one = async (): Promise<void> => {
    const body = (prefixes[k++ % prefixes.length] as string) + String(nextSeed++) + '}';
    const res = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: HEADERS, body });
    await res.body.dump({ limit: Number.MAX_SAFE_INTEGER });
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  };
  try {
    return await measure(server, () => laneLoad(CAPACITY, one));
  } finally {
    await pool.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The client under test.

async function clientRun(server: Server, turns: Turn[], maxTokens: number): Promise<RunResult> {
  const backend = await connectOpenAI({
    endpoints: [{ url: server.url, maxInFlight: CAPACITY }],
    requestTimeoutMs: 30_000,
    maxRetries: 8,
    downTimeoutMs: 30_000,
    tokenizer: 'bundled',
    speakerPrefill: true,
  });
  const usage0 = backend.usage().endpoints[0];
  let k = 0;
  const one = async (): Promise<void> => {
    const t = turns[k++ % turns.length] as Turn;
    const req: SampleRequest = { messages: t.messages, speaker: t.speaker, n: 1, temperature: TEMPERATURE, maxTokens, seed: nextSeed++ };
    await backend.sample(req);
  };
  try {
    return await measure(server, () => ({
      ...laneLoad(OUTSTANDING, one),
      extra: () => {
        const u = backend.usage().endpoints[0];
        if (u === undefined || usage0 === undefined) return '';
        const retries = u.retries - usage0.retries;
        const failures = u.failures - usage0.failures;
        return retries + failures > 0 ? `client retries ${retries}, failed attempts ${failures}` : '';
      },
    }));
  } finally {
    await backend.close();
  }
}

// ---------------------------------------------------------------------------------------------

function describeRun(label: string, r: RunResult): string[] {
  const w = r.windowInFlight;
  const inflight = w.length > 0 ? `in flight min/median/max ${Math.min(...w)}/${median(w)}/${Math.max(...w)} (peak ${r.peakInFlight})` : 'in flight: no samples';
  const statuses = Object.entries(r.otherStatuses)
    .map(([s, n]) => `${s}: ${n}`)
    .join(', ');
  const lines = [
    `  ${label.padEnd(9)} ${fmt(r.rate).padStart(6)} req/s (server counted ${fmt(r.serverRate)})  ` +
      `CPU ${(r.cpuMsPerRequest * 1000).toFixed(0).padStart(4)} µs/req, ${(100 * r.cpuCores).toFixed(0)}% of a core, event loop ${(100 * r.elu).toFixed(0)}% busy  ` +
      `server CPU ${Number.isNaN(r.serverCores) ? '?' : `${(100 * r.serverCores).toFixed(0)}%`}  ${inflight}  ` +
      `429s ${r.overCapacity}${statuses !== '' ? `  non-200: ${statuses}` : ''}${r.errors > 0 ? `  errors ${r.errors} (${r.firstError})` : ''}${r.extra !== '' ? `  ${r.extra}` : ''}`,
  ];
  const windowStart = WARMUP;
  const cells = r.series.map((s, i) => {
    const prev = r.series[i - 1];
    const mark = prev !== undefined && prev.t < windowStart && s.t >= windowStart ? '| ' : '';
    return `${mark}${s.t.toFixed(1)}s=${s.inFlight}`;
  });
  lines.push(`            in-flight over time (warm-up | measured): ${cells.join(' ')}`);
  return lines;
}

const cpu = cpus();
const { turns, maxTokens } = buildTurns();
console.log(
  `http client bench: serve-sim hotpotqa (${TASKS} tasks), latency ${LATENCY_MS} ms, capacity ${CAPACITY} (over: 429); ` +
    `${turns.length} distinct prompts (${DIALOGUES} dialogues x their turns), every request its own seed`,
);
console.log(
  `runs: ${WARMUP} s warm-up + ${SECONDS} s measured, ${REPEATS} repeats alternating reference and client, medians; ` +
    `client: connectOpenAI maxInFlight ${CAPACITY}, ${OUTSTANDING} sample calls outstanding`,
);
console.log(`machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), node ${process.version}; server in its own process`);

let server: Server | undefined;
const onSignal = () => {
  server?.child.kill('SIGTERM');
  process.exit(130);
};
process.once('SIGINT', onSignal);
process.once('exit', () => {
  if (server !== undefined && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
});
try {
  server = await startServer();
  console.log(`server: ${server.url} (pid ${server.child.pid})`);
  const refs: RunResult[] = [];
  const clients: RunResult[] = [];
  for (let r = 0; r < REPEATS; r++) {
    console.log(`repeat ${r + 1}/${REPEATS}`);
    if (ONLY !== 'client') {
      await waitIdle(server);
      const ref = await referenceRun(server, turns, maxTokens);
      refs.push(ref);
      for (const l of describeRun('reference', ref)) console.log(l);
    }
    if (ONLY !== 'reference') {
      await waitIdle(server);
      const cl = await clientRun(server, turns, maxTokens);
      clients.push(cl);
      for (const l of describeRun('client', cl)) console.log(l);
    }
  }

  console.log('');
  console.log(`theoretical capacity: ${CAPACITY} / ${(LATENCY_MS / 1000).toFixed(3)} s = ${fmt(THEORETICAL)} req/s`);
  const m = (rs: RunResult[], f: (r: RunResult) => number) => median(rs.map(f));
  if (refs.length > 0) {
    console.log(
      `measured ceiling (undici Pool, ${CAPACITY} outstanding): ${fmt(m(refs, (x) => x.rate))} req/s median ` +
        `(runs ${refs.map((x) => fmt(x.rate)).join(', ')}), ${(100 * m(refs, (x) => x.rate) / THEORETICAL).toFixed(1)}% of theoretical; ` +
        `load generator CPU ${(m(refs, (x) => x.cpuMsPerRequest) * 1000).toFixed(0)} µs/req; server CPU ${(100 * m(refs, (x) => x.serverCores)).toFixed(0)}% of a core`,
    );
  }
  if (clients.length > 0) {
    const rate = m(clients, (x) => x.rate);
    const inflight = clients.flatMap((x) => x.windowInFlight);
    const over = clients.reduce((s, x) => s + x.overCapacity, 0);
    const errs = clients.reduce((s, x) => s + x.errors, 0);
    console.log(
      `client (connectOpenAI): ${fmt(rate)} req/s median (runs ${clients.map((x) => fmt(x.rate)).join(', ')}); ` +
        `server in flight during the measured windows min/median/max ${inflight.length > 0 ? `${Math.min(...inflight)}/${median(inflight)}/${Math.max(...inflight)}` : '?'}; ` +
        `429s ${over}; errors ${errs}`,
    );
    console.log(
      `client CPU per request: ${m(clients, (x) => x.cpuMsPerRequest).toFixed(3)} ms (${(100 * m(clients, (x) => x.cpuCores)).toFixed(0)}% of a core, ` +
        `event loop ${(100 * m(clients, (x) => x.elu)).toFixed(0)}% busy); server CPU ${(100 * m(clients, (x) => x.serverCores)).toFixed(0)}% of a core`,
    );
    console.log(`client / theoretical: ${(rate / THEORETICAL).toFixed(3)}`);
    if (refs.length > 0) {
      const ceiling = m(refs, (x) => x.rate);
      const ratio = rate / ceiling;
      console.log(`client / measured ceiling: ${ratio.toFixed(3)}`);
      const ok = ratio >= TARGET_SHARE && over === 0 && errs === 0;
      console.log(
        `${ok ? 'PASS' : 'FAIL'}: target ${(100 * TARGET_SHARE).toFixed(0)}% of the measured ceiling (${fmt(TARGET_SHARE * ceiling)} req/s)` +
          `${over > 0 ? `; the client went over capacity ${over} times` : ''}${errs > 0 ? `; ${errs} requests failed` : ''}`,
      );
    }
  }
} finally {
  await stopServer(server);
}
