import { describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { searchTasks } from '../../actors/coordinator-pool.ts';
import { progressInspector, type ProgressSnapshot } from '../../actors/progress.ts';
import { searchTask, type SearchInput, type SearchResult } from '../../actors/search.ts';
import { prepareDialogue } from '../../engine/dialogue/dialogue.ts';
import type { Completion, ModelBackend, SampleRequest } from '../../engine/base/model-backend.ts';
import { keyedSeed } from '../../engine/base/rng.ts';
import { optimaPolicy } from '../../engine/search/policies/optima.ts';
import { DialogueScorer } from '../../engine/dialogue/scoring.ts';
import { SimBackend } from '../../engine/sim/backend.ts';
import { generateArithmeticTasks } from '../../engine/sim/generate.ts';
import { createSimWorld } from '../../engine/sim/world.ts';
import { ROOT, type TreeStore } from '../../engine/tree/store.ts';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import type { Task } from '../../scenarios/task.ts';

const SEED = 11;
const { scenario } = resolveScenario('gsm8k');
const tasks = generateArithmeticTasks(5, 10);

/** The simulated model behind a delay keyed by the request (0..maxMs ms); honours abort; counts calls in flight. */
function delayed(inner: SimBackend, maxMs: number) {
  const state = { inFlight: 0, aborted: 0 };
  const backend: ModelBackend = {
    name: `delayed(${inner.name})`,
    sample: ((req: SampleRequest, options?: { signal?: AbortSignal }) => {
      const ms = keyedSeed('delay', req.seed) % (maxMs + 1);
      state.inFlight++;
      return new Promise<Completion[]>((resolve, reject) => {
        const onAbort = () => {
          clearTimeout(timer);
          state.inFlight--;
          state.aborted++;
          reject(options?.signal?.reason);
        };
        const timer = setTimeout(() => {
          options?.signal?.removeEventListener('abort', onAbort);
          state.inFlight--;
          resolve(inner.sampleSync(req));
        }, ms);
        options?.signal?.addEventListener('abort', onAbort, { once: true });
      });
    }) as ModelBackend['sample'],
    logLikelihood: (messages, text, adapter) => inner.logLikelihood(messages, text, adapter),
    countTokens: (text) => inner.countTokens(text),
  };
  return { backend, state };
}

function shared(backend: ModelBackend, policy = optimaPolicy()) {
  return { scenario, backend, scorer: new DialogueScorer(scenario, backend), policy, seed: SEED, normalizer: 300 };
}

function input(task: Task, backend: ModelBackend = new SimBackend(createSimWorld(scenario, [task])), policy = optimaPolicy()): SearchInput {
  return { ...shared(backend, policy), task, setup: prepareDialogue(scenario, task, SEED) };
}

/** Everything a tree holds, as plain data: equal fingerprints mean identical trees. */
function fingerprint(tree: TreeStore) {
  const n = tree.size;
  const col = (a: ArrayLike<number>) => Array.from(a).slice(0, n);
  return [col(tree.parent), col(tree.speaker), col(tree.visits), col(tree.valueSum), col(tree.tokens), col(tree.terminal), tree.text.slice(0, n), tree.answer.slice(0, n)];
}
const outcome = (r: SearchResult) => ({ task: r.task.id, tree: fingerprint(r.tree), selected: r.selected, rollouts: r.rollouts });

/** The pool over `tasks` on a fresh world (delayed when maxDelayMs > 0), with the order tasks finished in. */
async function pool(concurrency: number, maxDelayMs: number, extra: { inspect?: (e: InspectionEvent) => void } = {}) {
  const world = createSimWorld(scenario, []);
  const sim = new SimBackend(world);
  const backend = maxDelayMs > 0 ? delayed(sim, maxDelayMs).backend : sim;
  const results: SearchResult[] = [];
  const finished: string[] = [];
  const prepared = new Set<string>();
  const summary = await searchTasks(tasks, {
    ...shared(backend),
    concurrency,
    batchSize: 4,
    prepare: (batch) => {
      world.addTasks(batch);
      for (const t of batch) prepared.add(t.id);
    },
    setupFor: (task) => {
      expect(prepared.has(task.id), `task ${task.id} started before its batch was prepared`).toBe(true);
      return prepareDialogue(scenario, task, SEED);
    },
    onResult: (r) => void results.push(r),
    inspect: (e) => {
      extra.inspect?.(e);
      const s = e.type === '@xstate.snapshot' ? (e.snapshot as { status: string; machine?: { id: string }; output?: SearchResult }) : null;
      if (s?.status === 'done' && s.machine?.id === 'search') finished.push((s.output as SearchResult).task.id);
    },
  });
  return { summary, results, finished };
}

describe('search coordinator', () => {
  it('runs 8 selections x 3 rollouts with optima: the root is visited 24 times', async () => {
    const r = await searchTask(input(tasks[0] as Task));
    expect(r.selected).toHaveLength(8);
    expect(r.rollouts.map((x) => x.length)).toEqual(Array(8).fill(3));
    expect(r.tree.visits[ROOT]).toBe(24);
    expect(r.tree.valueSum[ROOT]).toBeCloseTo(r.rollouts.flat().reduce((s, x) => s + x.reward, 0), 9);
    expect(r.tree.size).toBeGreaterThan(3);
  });

  it('gives the same result on the in-process model and behind random delays', async () => {
    const task = tasks[1] as Task;
    const plain = await searchTask(input(task));
    const late = await searchTask(input(task, delayed(new SimBackend(createSimWorld(scenario, [task])), 3).backend));
    expect(outcome(late)).toEqual(outcome(plain));
  });

  it("rejects a policy's choice that is not expandable, naming the task and the node", async () => {
    const bad = { ...optimaPolicy(), name: 'bad', select: () => 9999 };
    await expect(searchTask(input(tasks[0] as Task, undefined, bad))).rejects.toThrow(/task gen-arith-\S+ failed: policy bad, selection 0: select\(\) chose a node that cannot be expanded: node 9999 does not exist/);
  });

  it('fails the task, naming it, when a rollout fails', async () => {
    const broken: ModelBackend = {
      name: 'broken',
      sample: async () => Promise.reject(new Error('connection reset')),
      logLikelihood: async () => ({ logprob: -1, tokens: 1 }),
      countTokens: () => 1,
    };
    const task = tasks[2] as Task;
    await expect(searchTask(input(task, broken))).rejects.toThrow(new RegExp(`task ${task.id} failed: node 0 \\(selection 0\\) failed: connection reset`));
  });
});

describe('coordinator pool', () => {
  it('gives the same trees for concurrency 1 and 8 and whatever order tasks finish in, and reports in task order', async () => {
    const one = await pool(1, 0);
    const eight = await pool(8, 0);
    const shuffled = await pool(8, 4);
    expect(one.summary.tasks).toBe(tasks.length);
    expect(one.results.map((r) => r.task.id)).toEqual(tasks.map((t) => t.id));
    expect(eight.results.map(outcome)).toEqual(one.results.map(outcome));
    expect(shuffled.results.map(outcome)).toEqual(one.results.map(outcome));
    // The delays did reorder the finishing, so the order of onResult is the pool's doing.
    expect(shuffled.finished).not.toEqual(tasks.map((t) => t.id));
    expect(shuffled.results.map((r) => r.task.id)).toEqual(tasks.map((t) => t.id));
  });

  it('keeps at most `concurrency` coordinators alive', async () => {
    let alive = 0;
    let peak = 0;
    await pool(3, 2, {
      inspect: (e) => {
        if (e.actorRef.sessionId !== e.rootId) return; // coordinators are the roots
        if (e.type === '@xstate.actor') peak = Math.max(peak, ++alive);
        else if (e.type === '@xstate.snapshot' && e.snapshot.status === 'done') alive--;
      },
    });
    expect(peak).toBe(3);
  });

  it('starts a task only within 2 x concurrency of the oldest unreported one, so a slow task bounds the backlog', async () => {
    const sim = new SimBackend(createSimWorld(scenario, tasks));
    const slowQuestion = (tasks[0] as Task).question;
    const backend: ModelBackend = {
      name: 'slow-first',
      sample: async (req) => {
        if (req.messages[0]?.content.includes(slowQuestion)) await new Promise((r) => setTimeout(r, 5));
        return sim.sampleSync(req);
      },
      logLikelihood: (m, t, a) => sim.logLikelihood(m, t, a),
      countTokens: (t) => sim.countTokens(t),
    };
    let reported = 0;
    const startedAhead: number[] = [];
    await searchTasks(tasks, {
      ...shared(backend),
      concurrency: 2,
      setupFor: (task) => {
        startedAhead.push(tasks.indexOf(task) - reported);
        return prepareDialogue(scenario, task, SEED);
      },
      onResult: () => void reported++,
    });
    expect(reported).toBe(tasks.length);
    expect(Math.max(...startedAhead)).toBe(3);
  });

  it('stops every actor and rejects with an AbortError when aborted; no result after the abort', async () => {
    const world = createSimWorld(scenario, tasks);
    const { backend, state } = delayed(new SimBackend(world), 5);
    const controller = new AbortController();
    const seen: string[] = [];
    const run = searchTasks(tasks, {
      ...shared(backend),
      concurrency: 4,
      setupFor: (task) => prepareDialogue(scenario, task, SEED),
      onResult: (r) => {
        seen.push(r.task.id);
        controller.abort();
      },
      signal: controller.signal,
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toHaveLength(1);
    expect(state.aborted).toBeGreaterThan(0);
    expect(state.inFlight).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toHaveLength(1);
  });

  it('hands over nothing after an abort, even results that are already in', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const backend = new SimBackend(createSimWorld(scenario, tasks));
    const run = searchTasks(tasks, {
      ...shared(backend),
      concurrency: 4,
      setupFor: (task) => prepareDialogue(scenario, task, SEED),
      // Held back until every task is done, so that results are waiting when the first one aborts.
      onResult: async (r) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        seen.push(r.task.id);
        controller.abort();
      },
      signal: controller.signal,
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([tasks[0]?.id]);
  });

  it('rejects with the first failure and stops the other tasks', async () => {
    const world = createSimWorld(scenario, tasks);
    const { backend, state } = delayed(new SimBackend(world), 3);
    const bad = { ...optimaPolicy(), name: 'bad', select: ({ selection }: { selection: number }) => (selection === 1 ? -5 : ROOT) };
    const run = searchTasks(tasks, { ...shared(backend, bad), concurrency: 4, setupFor: (t) => prepareDialogue(scenario, t, SEED), onResult: () => {} });
    await expect(run).rejects.toThrow(/selection 1: select\(\) chose a node that cannot be expanded: node -5 does not exist/);
    expect(state.inFlight).toBe(0);
  });
});

describe('progress by inspection', () => {
  it('counts tasks, rollouts and tokens, throttled to the interval', async () => {
    const seen: ProgressSnapshot[] = [];
    const progress = progressInspector((p) => seen.push(p), { intervalMs: 60_000 });
    const { results } = await pool(2, 0, { inspect: progress.inspect });
    expect(seen).toHaveLength(1);
    progress.flush();
    const last = seen.at(-1) as ProgressSnapshot;
    const rollouts = results.flatMap((r) => r.rollouts.flat());
    expect(last.tasks).toBe(tasks.length);
    expect(last.rollouts).toBe(rollouts.length);
    expect(last.tokens).toBe(rollouts.reduce((s, x) => s + x.dialogue.tokenCount, 0));
    expect(last.rolloutsPerSecond).toBeGreaterThan(0);
  });
});
