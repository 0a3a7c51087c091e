/**
 * Model-based test of the node lifecycle (actors/node.ts): random command sequences against the
 * real node machine, with stubbed rollouts (the test reports them, either by ending the rollout
 * actor - XState's done/error event - or by sending ROLLOUT_DONE / ROLLOUT_FAILED) and a stubbed
 * scoring step (the test finishes it). After every legal command the actor's state must match the model's;
 * every illegal command must put the actor in 'error' with a message naming event and state,
 * and leave no rollout running.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { createActor, createMachine, fromPromise, type AnyActorRef } from 'xstate';
import type { DialogueInput } from '../actors/dialogue.ts';
import { nodeMachine, ROLLOUT_ID, type NodeInput, type ScoreInput } from '../actors/node.ts';
import { prepareDialogue, type Dialogue } from '../engine/dialogue/dialogue.ts';
import type { ScoredRollout } from '../engine/search/rollout.ts';
import { DialogueScorer } from '../engine/dialogue/scoring.ts';
import { SimBackend } from '../engine/sim/backend.ts';
import { generateArithmeticTasks } from '../engine/sim/generate.ts';
import { createSimWorld } from '../engine/sim/world.ts';
import { resolveScenario } from '../scenarios/scenario-file.ts';

type Phase = 'created' | 'rollingOut' | 'scoring' | 'settled' | 'failed' | 'cancelled';

interface Model {
  phase: Phase | 'broken';
  n: number;
  /** Dialogues reported done, by index; a failed index maps to null. */
  reported: Map<number, Dialogue | null>;
  /** Indices reported by event whose stub rollout still runs (it may end later, harmlessly). */
  byEvent: Set<number>;
}

interface Real {
  node: AnyActorRef;
  /** Everything the node sent its parent. */
  toParent: Array<{ type: string; [k: string]: unknown }>;
  /** Stub rollouts still running. */
  alive: Set<number>;
  /** How to end each running stub rollout: with its dialogue, or with an error. */
  finish: Map<number, { resolve: (d: Dialogue) => void; reject: (e: unknown) => void }>;
  finishScoring: (() => void) | null;
}

const { scenario } = resolveScenario('gsm8k');
const [task] = generateArithmeticTasks(1, 1);
const backend = new SimBackend(createSimWorld(scenario, [task!]));
const input: NodeInput = {
  node: 7,
  iteration: 0,
  seed: 1,
  setup: prepareDialogue(scenario, task!, 1),
  backend,
  scorer: new DialogueScorer(scenario, backend),
  normalizer: 100,
  temperature: 0.7,
  history: [],
};

const POISON = 'poison';
const dialogueFor = (i: number, poison: boolean): Dialogue => ({ utterances: [], termination: 'agreement', finalAnswer: poison ? POISON : `a${i}`, tokenCount: 10 * i + 1 });

function start(): Real {
  const real: Real = { node: null as unknown as AnyActorRef, toParent: [], alive: new Set(), finish: new Map(), finishScoring: null };
  const machine = nodeMachine.provide({
    actors: {
      // Runs until the test ends it or the node stops it (which aborts its signal).
      rollout: fromPromise<Dialogue, DialogueInput>(({ self, signal }) => {
        const index = Number(self.id.slice(ROLLOUT_ID.length));
        real.alive.add(index);
        const gone = () => {
          real.alive.delete(index);
          real.finish.delete(index);
        };
        signal.addEventListener('abort', gone);
        return new Promise<Dialogue>((resolve, reject) => {
          real.finish.set(index, {
            resolve: (d) => (gone(), resolve(d)),
            reject: (e) => (gone(), reject(e)),
          });
        });
      }),
      score: fromPromise<ScoredRollout[], ScoreInput>(
        ({ input: s }) =>
          new Promise((resolve, reject) => {
            real.finishScoring = () =>
              s.dialogues.some((d) => d.finalAnswer === POISON)
                ? reject(new Error('scoring failed'))
                : resolve(s.dialogues.map((dialogue) => ({ dialogue, reward: dialogue.tokenCount })));
          }),
      ),
    },
  });
  const parent = createMachine({
    invoke: { id: 'node', src: machine, input },
    on: { '*': { actions: ({ event }) => real.toParent.push(event) } },
  });
  const actor = createActor(parent).start();
  real.node = actor.getSnapshot().children.node as AnyActorRef;
  return real;
}

const tick = () => new Promise((r) => setTimeout(r, 0));

/** The real node agrees with the model: state, bookkeeping, live rollouts, reports to the parent. */
function expectMatches(m: Model, r: Real): void {
  const s = r.node.getSnapshot();
  expect(s.status).toBe('active');
  expect(s.value).toBe(m.phase);
  expect(s.context.expected).toBe(m.n);
  const reported = [...m.reported.keys()].sort((a, b) => a - b);
  expect(s.context.reported.flatMap((x: boolean, i: number) => (x ? [i] : []))).toEqual(reported);
  // Every unreported rollout runs while rolling out; none once the node has left that state. (A
  // reported stub runs on until then, where a real rollout would have ended by itself.)
  if (m.phase === 'rollingOut') expect([...r.alive].filter((i) => !m.reported.has(i)).sort()).toEqual(unreported(m));
  else expect(r.alive.size).toBe(0);
  const last = r.toParent.filter((e) => e.type.startsWith('NODE_'));
  if (m.phase === 'settled') {
    expect(last).toHaveLength(1);
    expect(last[0]).toMatchObject({ type: 'NODE_SETTLED', node: input.node });
    const rollouts = last[0]?.rollouts as ScoredRollout[];
    expect(rollouts.map((x) => x.dialogue)).toEqual([...Array(m.n).keys()].map((i) => m.reported.get(i)));
    expect(rollouts.map((x) => x.reward)).toEqual(rollouts.map((x) => x.dialogue.tokenCount));
  } else if (m.phase === 'failed') {
    expect(last).toHaveLength(1);
    expect(last[0]).toMatchObject({ type: 'NODE_FAILED', node: input.node });
  } else {
    expect(last).toHaveLength(0);
  }
}

/** Sends an event the node must reject, and checks that it fails loudly. */
function expectRejected(m: Model, r: Real, event: { type: string }): void {
  const state = m.phase;
  r.node.send(event);
  const s = r.node.getSnapshot();
  expect(s.status).toBe('error');
  expect(String(s.error)).toContain(`event ${event.type}`);
  expect(String(s.error)).toContain(`state '${state}'`);
  expect(r.alive.size).toBe(0);
  expect(r.toParent.at(-1)).toMatchObject({ type: 'xstate.error.actor.node' });
  m.phase = 'broken';
}

const unreported = (m: Model) => [...Array(m.n).keys()].filter((i) => !m.reported.has(i));
const live = (m: Model) => m.phase !== 'broken';

class Expand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly n: number) {}
  check = (m: Model) => m.phase === 'created';
  async run(m: Model, r: Real) {
    r.node.send({ type: 'EXPAND', rollouts: this.n });
    m.phase = 'rollingOut';
    m.n = this.n;
    expectMatches(m, r);
  }
  toString = () => `Expand(${this.n})`;
}

/**
 * Reports the k-th (mod count) unreported rollout as done (poisoned: its scoring will fail) or
 * failed: by ending its actor (XState tells the node) or by sending the node the event.
 */
class Report implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly k: number,
    readonly outcome: 'done' | 'poisoned' | 'failed',
    readonly via: 'end' | 'event',
  ) {}
  check = (m: Model) => m.phase === 'rollingOut';
  async run(m: Model, r: Real) {
    const open = unreported(m);
    const index = open[this.k % open.length] as number;
    const stub = r.finish.get(index);
    expect(stub, `rollout ${index} should be running`).toBeDefined();
    if (this.outcome === 'failed') {
      const error = new Error('agent failed');
      if (this.via === 'end') stub?.reject(error);
      else r.node.send({ type: 'ROLLOUT_FAILED', index, error });
      m.reported.set(index, null);
      m.phase = 'failed';
    } else {
      const dialogue = dialogueFor(index, this.outcome === 'poisoned');
      if (this.via === 'end') stub?.resolve(dialogue);
      else r.node.send({ type: 'ROLLOUT_DONE', index, dialogue });
      m.reported.set(index, dialogue);
      if (open.length === 1) m.phase = 'scoring';
    }
    if (this.via === 'event') m.byEvent.add(index);
    // XState's done/error event reaches the node after the promise settles.
    if (this.via === 'end') await tick();
    expectMatches(m, r);
  }
  toString = () => `Report(${this.k}, ${this.outcome}, ${this.via})`;
}

/** A rollout that reported done by event ends afterwards: the node ignores its done event. */
class EndReported implements fc.AsyncCommand<Model, Real> {
  constructor(readonly k: number) {}
  check = (m: Model) => m.phase === 'rollingOut' && [...m.byEvent].some((i) => m.reported.get(i) !== null);
  async run(m: Model, r: Real) {
    const ended = [...m.byEvent].filter((i) => m.reported.get(i) !== null);
    const index = ended[this.k % ended.length] as number;
    r.finish.get(index)?.resolve(m.reported.get(index) as Dialogue);
    m.byEvent.delete(index);
    await tick();
    expectMatches(m, r);
  }
  toString = () => `EndReported(${this.k})`;
}

class FinishScoring implements fc.AsyncCommand<Model, Real> {
  check = (m: Model) => m.phase === 'scoring';
  async run(m: Model, r: Real) {
    r.finishScoring?.();
    await tick();
    m.phase = [...m.reported.values()].some((d) => d?.finalAnswer === POISON) ? 'failed' : 'settled';
    expectMatches(m, r);
  }
  toString = () => 'FinishScoring';
}

class Cancel implements fc.AsyncCommand<Model, Real> {
  check = (m: Model) => m.phase === 'created' || m.phase === 'rollingOut' || m.phase === 'scoring';
  async run(m: Model, r: Real) {
    r.node.send({ type: 'CANCEL' });
    m.phase = 'cancelled';
    // A scoring step that finishes after the cancel must not reach the node.
    r.finishScoring?.();
    await tick();
    expectMatches(m, r);
  }
  toString = () => 'Cancel';
}

/** An event the node must reject in the model's current phase. */
class Illegal implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly kind: 'expand-again' | 'bad-count' | 'out-of-range' | 'duplicate' | 'early-report' | 'after-end' | 'unknown',
    readonly k: number,
  ) {}
  check(m: Model): boolean {
    switch (this.kind) {
      case 'expand-again':
        return live(m) && m.phase !== 'created';
      case 'bad-count':
        return m.phase === 'created';
      case 'out-of-range':
        return m.phase === 'rollingOut';
      case 'duplicate':
        return m.phase === 'rollingOut' && m.reported.size > 0;
      case 'early-report':
        return m.phase === 'created' || m.phase === 'scoring';
      case 'after-end':
        return m.phase === 'settled' || m.phase === 'failed' || m.phase === 'cancelled';
      case 'unknown':
        return live(m);
    }
  }
  async run(m: Model, r: Real) {
    const done = (index: number) => ({ type: 'ROLLOUT_DONE', index, dialogue: dialogueFor(index, false) });
    const events = {
      'expand-again': { type: 'EXPAND', rollouts: 1 + (this.k % 3) },
      'bad-count': { type: 'EXPAND', rollouts: [0, -1, 1.5][this.k % 3] },
      'out-of-range': done(this.k % 2 === 0 ? m.n + (this.k % 3) : -1),
      duplicate: done([...m.reported.keys()][this.k % Math.max(1, m.reported.size)] as number),
      'early-report': done(this.k % 2),
      'after-end': [done(0), { type: 'ROLLOUT_FAILED', index: 0, error: 'late' }, { type: 'CANCEL' }, { type: 'EXPAND', rollouts: 1 }][this.k % 4] as { type: string },
      unknown: { type: 'BOGUS' },
    };
    expectRejected(m, r, events[this.kind]);
  }
  toString = () => `Illegal(${this.kind}, ${this.k})`;
}

// Weighted so that most sequences get through rollouts and scoring before an ending or an illegal event.
const legal = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 4 }).map((n) => new Expand(n)), weight: 3 },
  {
    arbitrary: fc
      .tuple(
        fc.nat(7),
        fc.constantFrom('done', 'done', 'done', 'done', 'poisoned', 'failed') as fc.Arbitrary<'done' | 'poisoned' | 'failed'>,
        fc.constantFrom('end', 'event') as fc.Arbitrary<'end' | 'event'>,
      )
      .map(([k, o, via]) => new Report(k, o, via)),
    weight: 10,
  },
  { arbitrary: fc.nat(7).map((k) => new EndReported(k)), weight: 1 },
  { arbitrary: fc.constant(new FinishScoring()), weight: 3 },
  { arbitrary: fc.constant(new Cancel()), weight: 1 },
);
const illegal = fc
  .tuple(fc.constantFrom('expand-again', 'bad-count', 'out-of-range', 'duplicate', 'early-report', 'after-end', 'unknown') as fc.Arbitrary<Illegal['kind']>, fc.nat(11))
  .map(([kind, k]) => new Illegal(kind, k));

describe('node lifecycle (model-based)', () => {
  test.prop([fc.commands([fc.oneof({ arbitrary: legal, weight: 8 }, { arbitrary: illegal, weight: 1 })], { maxCommands: 40, size: 'large' })], { numRuns: 400 })(
    'matches the model after every legal command and fails loudly on every illegal one',
    async (cmds) => {
      await fc.asyncModelRun(() => ({ model: { phase: 'created', n: 0, reported: new Map(), byEvent: new Set() } as Model, real: start() }), cmds);
    },
  );
});
