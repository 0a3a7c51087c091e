import { describe, expect, it, vi } from 'vitest';
import { createActor, createMachine, toPromise, type AnyActorRef, type DoneActorEvent, type ErrorActorEvent } from 'xstate';
import { rolloutLogic, type DialogueInput } from '../../actors/dialogue.ts';
import { nodeMachine } from '../../actors/node.ts';
import { prepareDialogue, runDialogue, type DialogueOptions } from '../../engine/dialogue/dialogue.ts';
import type { Completion, ModelBackend, SampleRequest } from '../../engine/base/model-backend.ts';
import { SimBackend } from '../../engine/sim/backend.ts';
import { generateArithmeticTasks, generateIeTasks } from '../../engine/sim/generate.ts';
import { createSimWorld } from '../../engine/sim/world.ts';
import { resolveScenario } from '../../scenarios/scenario-file.ts';

const families = (['gsm8k', 'hotpotqa'] as const).map((name) => {
  const { scenario } = resolveScenario(name);
  const tasks = name === 'gsm8k' ? generateArithmeticTasks(3, 4) : generateIeTasks(3, 4);
  return { name, scenario, tasks, backend: new SimBackend(createSimWorld(scenario, tasks)) };
});

function runActor(input: DialogueInput) {
  return toPromise(createActor(rolloutLogic, { input }).start());
}

describe.each(families)('rollout actor on $name', ({ scenario, tasks, backend }) => {
  it('gives exactly what runDialogue gives, from the root and from a history, in both modes', async () => {
    let compared = 0;
    for (const [t, task] of tasks.entries()) {
      for (const seed of [1, 2, 3]) {
        const setup = prepareDialogue(scenario, task, seed);
        const full = await runDialogue(setup, backend, { seedKey: [seed, task.id, 'full'], temperature: 1, mode: 'generate' });
        // Every prefix of a real dialogue is a history some node holds, including the full (capped or agreed) one.
        for (let k = 0; k <= full.utterances.length; k++) {
          const mode = (t + k) % 2 === 0 ? 'rollout' : 'generate';
          const opts: DialogueOptions = { seedKey: [seed, task.id, k], temperature: 0.7, mode, history: full.utterances.slice(0, k) };
          const expected = await runDialogue(setup, backend, opts);
          expect(await runActor({ setup, backend, opts })).toEqual(expected);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(tasks.length * 3 * 2);
  });
});

describe('rollout actor', () => {
  const { scenario, tasks, backend } = families[0] as (typeof families)[number];
  const setup = prepareDialogue(scenario, tasks[0] as (typeof tasks)[number], 1);
  const opts: DialogueOptions = { seedKey: [1], temperature: 0.7, mode: 'rollout' };

  it('ends a history at the cap as runDialogue does: the error sentinel in a rollout, the last answer otherwise', async () => {
    const said = (i: number) => ({ speaker: i % 2 ? 'Bob' : 'Alice', text: `x ${i}`, answer: i === 3 ? '7' : '', tokens: 2 });
    const history = Array.from({ length: scenario.turns.maxUtterances }, (_, i) => said(i));
    for (const mode of ['rollout', 'generate'] as const) {
      const o = { ...opts, mode, history };
      expect(await runActor({ setup, backend, opts: o })).toEqual(await runDialogue(setup, backend, o));
    }
  });

  /** A parent that keeps every event it gets about its child rollout. */
  function withParent(childBackend: ModelBackend) {
    const events: Array<{ type: string }> = [];
    const parent = createMachine({
      invoke: { id: 'rollout-5', src: rolloutLogic, input: { setup, backend: childBackend, opts } },
      on: { '*': { actions: ({ event }) => events.push(event) } },
    });
    return { actor: createActor(parent).start(), events };
  }

  it('reports to its parent by ending: xstate.done.actor.<id> with the dialogue', async () => {
    const { events } = withParent(backend);
    await vi.waitFor(() => expect(events.length).toBeGreaterThan(0));
    expect(events).toHaveLength(1);
    const done = events[0] as DoneActorEvent;
    expect(done.type).toBe('xstate.done.actor.rollout-5');
    expect(done.output).toEqual(await runDialogue(setup, backend, opts));
  });

  const failing: ModelBackend = {
    name: 'failing',
    sample: async () => {
      throw new Error('server said no');
    },
    logLikelihood: async () => ({ logprob: 0, tokens: 0 }),
    countTokens: () => 1,
  };

  it('reports an agent error to its parent as xstate.error.actor.<id>', async () => {
    const { events } = withParent(failing);
    await vi.waitFor(() => expect(events.length).toBeGreaterThan(0));
    expect(events).toHaveLength(1);
    const failed = events[0] as ErrorActorEvent;
    expect(failed.type).toBe('xstate.error.actor.rollout-5');
    expect(String(failed.error)).toContain('server said no');
  });

  it('without a parent, ends in error with the agent error', async () => {
    await expect(runActor({ setup, backend: failing, opts })).rejects.toThrow('server said no');
  });

  /** A backend whose calls wait until the test answers them; records each call's signal. */
  function manual() {
    const calls: Array<{ signal: AbortSignal; answer: () => void }> = [];
    const hanging: ModelBackend = {
      ...failing,
      name: 'manual',
      sample: ((req: SampleRequest, options: { signal: AbortSignal }) =>
        new Promise<Completion[]>((resolve) => {
          calls.push({ signal: options.signal, answer: () => resolve(backend.sample(req)) });
        })) as ModelBackend['sample'],
    };
    return { hanging, calls };
  }

  it('stopping it mid-turn aborts the model call, and no turn follows', async () => {
    const { hanging, calls } = manual();
    const actor = createActor(rolloutLogic, { input: { setup, backend: hanging, opts } }).start();
    expect(actor.getSnapshot().status).toBe('active');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.signal.aborted).toBe(false);
    actor.stop();
    expect(calls[0]?.signal.aborted).toBe(true);
    expect(actor.getSnapshot().status).toBe('stopped');
    // A backend that ignores the signal and answers anyway: the reply is dropped, no next turn starts.
    calls[0]?.answer();
    await new Promise((r) => setTimeout(r, 5));
    expect(calls).toHaveLength(1);
    expect(actor.getSnapshot().status).toBe('stopped');
  });

  it('a node stopped mid-turn by its owner aborts every model call in flight', async () => {
    const { hanging, calls } = manual();
    const input = { node: 0, selection: 0, seed: 1, setup, backend: hanging, scorer: undefined as never, normalizer: 100, temperature: 0.7, history: [] };
    // Owned as the coordinator owns it: leaving the state that holds the node stops it.
    const owner = createActor(
      createMachine({ initial: 'owning', states: { owning: { invoke: { id: 'node', src: nodeMachine, input }, on: { RELEASE: 'released' } }, released: {} } }),
    ).start();
    const node = owner.getSnapshot().children.node as AnyActorRef;
    node.send({ type: 'EXPAND', rollouts: 3 });
    expect(calls).toHaveLength(3);
    // Rollout 0 gets its first reply and is on its second turn when the node is stopped.
    calls[0]?.answer();
    await new Promise((r) => setTimeout(r, 5));
    expect(calls).toHaveLength(4);
    expect(calls.some((c) => c.signal.aborted)).toBe(false);
    owner.send({ type: 'RELEASE' });
    expect(node.getSnapshot().status).toBe('stopped');
    expect(calls.every((c) => c.signal.aborted)).toBe(true);
    expect(owner.getSnapshot().children).toEqual({});
  });
});
