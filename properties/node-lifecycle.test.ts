/**
 * Model-based test of the node lifecycle (actors/node.ts): random command sequences against the
 * real node machine, owned as the search owns it (a parent that hears its reports and stops it),
 * with stubbed rollouts (the test ends each one with a dialogue or an error) and a stubbed
 * scoring step (the test finishes it). After every legal command the actor's state must match the
 * model's; every illegal command must put the actor in 'error' with a message naming event and
 * state, and leave no rollout running.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { createActor, createMachine, fromPromise, type AnyActorRef } from 'xstate';
import type { DialogueInput } from '../actors/dialogue.ts';
import { nodeMachine, ROLLOUT_ID, type NodeInput } from '../actors/node.ts';
import type { ScoreInput } from '../actors/score-rollouts.ts';
import { prepareDialogue, type Dialogue } from '../engine/dialogue/dialogue.ts';
import type { ScoredRollout } from '../engine/search/rollout.ts';
import { DialogueScorer } from '../engine/dialogue/scoring.ts';
import { SimBackend } from '../engine/sim/backend.ts';
import { generateArithmeticTasks } from '../engine/sim/generate.ts';
import { createSimWorld } from '../engine/sim/world.ts';
import { resolveScenario } from '../scenarios/scenario-file.ts';

type Phase = 'created' | 'rollingOut' | 'scoring' | 'settled' | 'failed' | 'stopped';

interface Model {
  phase: Phase | 'broken';
  n: number;
  /** Dialogues reported done, by index; a failed index maps to null. */
  reported: Map<number, Dialogue | null>;
  /** The phase the owner stopped the node in: what it had reported by then stays reported. */
  stoppedIn?: Phase;
}

interface Real {
  node: AnyActorRef;
  /** The owner: RELEASE makes it stop the node, as the coordinator does when it leaves `expanding`. */
  owner: AnyActorRef;
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
  selection: 0,
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
  const real: Real = { node: null as unknown as AnyActorRef, owner: null as unknown as AnyActorRef, toParent: [], alive: new Set(), finish: new Map(), finishScoring: null };
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
    initial: 'owning',
    states: {
      owning: { invoke: { id: 'node', src: machine, input }, on: { RELEASE: 'released' } },
      released: {},
    },
    on: { '*': { actions: ({ event }) => real.toParent.push(event) } },
  });
  real.owner = createActor(parent).start();
  real.node = real.owner.getSnapshot().children.node as AnyActorRef;
  return real;
}

const tick = () => new Promise((r) => setTimeout(r, 0));

/** The real node agrees with the model: state, bookkeeping, live rollouts, reports to the parent. */
function expectMatches(m: Model, r: Real): void {
  const s = r.node.getSnapshot();
  if (m.phase === 'stopped') {
    expect(s.status).toBe('stopped');
  } else {
    expect(s.status).toBe('active');
    expect(s.value).toBe(m.phase);
    expect(s.context.dialogues).toHaveLength(m.n);
    const done = [...m.reported].flatMap(([i, d]) => (d === null ? [] : [i])).sort((a, b) => a - b);
    expect(s.context.dialogues.flatMap((d: Dialogue | undefined, i: number) => (d === undefined ? [] : [i]))).toEqual(done);
  }
  // Every unreported rollout runs while rolling out; none once the node has left that state.
  if (m.phase === 'rollingOut') expect([...r.alive].sort()).toEqual(unreported(m));
  else expect(r.alive.size).toBe(0);
  const last = r.toParent.filter((e) => e.type.startsWith('NODE_'));
  const reportedAs = m.phase === 'stopped' ? m.stoppedIn : m.phase;
  if (reportedAs === 'settled') {
    expect(last).toHaveLength(1);
    expect(last[0]).toMatchObject({ type: 'NODE_SETTLED', node: input.node });
    const rollouts = last[0]?.rollouts as ScoredRollout[];
    expect(rollouts.map((x) => x.dialogue)).toEqual([...Array(m.n).keys()].map((i) => m.reported.get(i)));
    expect(rollouts.map((x) => x.reward)).toEqual(rollouts.map((x) => x.dialogue.tokenCount));
  } else if (reportedAs === 'failed') {
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

/** Ends the k-th (mod count) unreported rollout: done (poisoned: its scoring will fail) or failed. */
class Report implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly k: number,
    readonly outcome: 'done' | 'poisoned' | 'failed',
  ) {}
  check = (m: Model) => m.phase === 'rollingOut';
  async run(m: Model, r: Real) {
    const open = unreported(m);
    const index = open[this.k % open.length] as number;
    const stub = r.finish.get(index);
    expect(stub, `rollout ${index} should be running`).toBeDefined();
    if (this.outcome === 'failed') {
      stub?.reject(new Error('agent failed'));
      m.reported.set(index, null);
      m.phase = 'failed';
    } else {
      const dialogue = dialogueFor(index, this.outcome === 'poisoned');
      stub?.resolve(dialogue);
      m.reported.set(index, dialogue);
      if (open.length === 1) m.phase = 'scoring';
    }
    // XState's done/error event reaches the node after the promise settles.
    await tick();
    expectMatches(m, r);
  }
  toString = () => `Report(${this.k}, ${this.outcome})`;
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

/** The owner stops the node, in any phase: whatever is in flight stops with it. */
class Release implements fc.AsyncCommand<Model, Real> {
  check = (m: Model) => live(m) && m.phase !== 'stopped';
  async run(m: Model, r: Real) {
    const reports = r.toParent.length;
    r.owner.send({ type: 'RELEASE' });
    m.stoppedIn = m.phase as Phase;
    m.phase = 'stopped';
    // A scoring step that finishes after the stop must not reach the owner.
    r.finishScoring?.();
    await tick();
    expectMatches(m, r);
    expect(r.toParent).toHaveLength(reports);
  }
  toString = () => 'Release';
}

/** An event the node must reject in the model's current phase. */
class Illegal implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly kind: 'expand-again' | 'bad-count' | 'after-end' | 'unknown',
    readonly k: number,
  ) {}
  check(m: Model): boolean {
    switch (this.kind) {
      case 'expand-again':
        return live(m) && m.phase !== 'created' && m.phase !== 'stopped';
      case 'bad-count':
        return m.phase === 'created';
      case 'after-end':
        return m.phase === 'settled' || m.phase === 'failed';
      case 'unknown':
        return live(m) && m.phase !== 'stopped';
    }
  }
  async run(m: Model, r: Real) {
    const events = {
      'expand-again': { type: 'EXPAND', rollouts: 1 + (this.k % 3) },
      'bad-count': { type: 'EXPAND', rollouts: [0, -1, 1.5][this.k % 3] },
      'after-end': [{ type: 'EXPAND', rollouts: 1 }, { type: 'BOGUS' }][this.k % 2] as { type: string },
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
      .tuple(fc.nat(7), fc.constantFrom('done', 'done', 'done', 'done', 'poisoned', 'failed') as fc.Arbitrary<'done' | 'poisoned' | 'failed'>)
      .map(([k, o]) => new Report(k, o)),
    weight: 10,
  },
  { arbitrary: fc.constant(new FinishScoring()), weight: 3 },
  { arbitrary: fc.constant(new Release()), weight: 1 },
);
const illegal = fc
  .tuple(fc.constantFrom('expand-again', 'bad-count', 'after-end', 'unknown') as fc.Arbitrary<Illegal['kind']>, fc.nat(11))
  .map(([kind, k]) => new Illegal(kind, k));

describe('node lifecycle (model-based)', () => {
  test.prop([fc.commands([fc.oneof({ arbitrary: legal, weight: 8 }, { arbitrary: illegal, weight: 1 })], { maxCommands: 40, size: 'large' })], { numRuns: 400 })(
    'matches the model after every legal command and fails loudly on every illegal one',
    async (cmds) => {
      await fc.asyncModelRun(() => ({ model: { phase: 'created', n: 0, reported: new Map() } as Model, real: start() }), cmds);
    },
  );
});
