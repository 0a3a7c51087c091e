import { describe, expect, it, vi } from 'vitest';
import { createActor, createMachine, toPromise } from 'xstate';
import { dialogueMachine, type DialogueInput, type RolloutDoneEvent, type RolloutFailedEvent } from '../../actors/dialogue.ts';
import { prepareDialogue, runDialogue, type DialogueOptions } from '../../engine/dialogue.ts';
import type { Completion, ModelBackend, SampleRequest } from '../../engine/model.ts';
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
  return toPromise(createActor(dialogueMachine, { input }).start());
}

describe.each(families)('dialogue actor on $name', ({ scenario, tasks, backend }) => {
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
          expect(await runActor({ setup, backend, opts, index: k })).toEqual(expected);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(tasks.length * 3 * 2);
  });
});

describe('dialogue actor', () => {
  const { scenario, tasks, backend } = families[0] as (typeof families)[number];
  const setup = prepareDialogue(scenario, tasks[0] as (typeof tasks)[number], 1);
  const opts: DialogueOptions = { seedKey: [1], temperature: 0.7, mode: 'rollout' };

  it('ends a history at the cap as runDialogue does: the error sentinel in a rollout, the last answer otherwise', async () => {
    const said = (i: number) => ({ speaker: i % 2 ? 'Bob' : 'Alice', text: `x ${i}`, answer: i === 3 ? '7' : '', tokens: 2 });
    const history = Array.from({ length: scenario.turns.maxUtterances }, (_, i) => said(i));
    for (const mode of ['rollout', 'generate'] as const) {
      const o = { ...opts, mode, history };
      expect(await runActor({ setup, backend, opts: o, index: 0 })).toEqual(await runDialogue(setup, backend, o));
    }
  });

  /** A parent that keeps every event its child dialogue sends. */
  function withParent(childBackend: ModelBackend) {
    const events: Array<{ type: string }> = [];
    const parent = createMachine({
      invoke: { id: 'rollout', src: dialogueMachine, input: { setup, backend: childBackend, opts, index: 5 } },
      on: { '*': { actions: ({ event }) => events.push(event) } },
    });
    return { actor: createActor(parent).start(), events };
  }

  it('reports ROLLOUT_DONE with its index and the dialogue to its parent', async () => {
    const { events } = withParent(backend);
    await vi.waitFor(() => expect(events.length).toBeGreaterThan(0));
    const done = events.find((e) => e.type === 'ROLLOUT_DONE') as RolloutDoneEvent;
    expect(done.index).toBe(5);
    expect(done.dialogue).toEqual(await runDialogue(setup, backend, opts));
  });

  const failing: ModelBackend = {
    name: 'failing',
    sample: async () => {
      throw new Error('server said no');
    },
    logLikelihood: async () => ({ logprob: 0, tokens: 0 }),
    countTokens: () => 1,
  };

  it('reports an agent error as ROLLOUT_FAILED to its parent, before anything else', async () => {
    const { events } = withParent(failing);
    await vi.waitFor(() => expect(events.length).toBeGreaterThan(0));
    const failed = events[0] as RolloutFailedEvent;
    expect(failed.type).toBe('ROLLOUT_FAILED');
    expect(failed.index).toBe(5);
    expect(String(failed.error)).toContain('server said no');
  });

  it('without a parent, ends in error with the agent error', async () => {
    await expect(runActor({ setup, backend: failing, opts, index: 0 })).rejects.toThrow('server said no');
  });

  it('stopping it mid-turn aborts the model call', async () => {
    const signals: AbortSignal[] = [];
    const hanging: ModelBackend = {
      ...failing,
      name: 'hanging',
      sample: ((_req: SampleRequest, options: { signal: AbortSignal }) => {
        signals.push(options.signal);
        return new Promise<Completion[]>(() => {});
      }) as ModelBackend['sample'],
    };
    const actor = createActor(dialogueMachine, { input: { setup, backend: hanging, opts, index: 0 } }).start();
    expect(actor.getSnapshot().value).toBe('speaking');
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(false);
    actor.stop();
    expect(signals[0]?.aborted).toBe(true);
    expect(actor.getSnapshot().status).toBe('stopped');
  });
});
