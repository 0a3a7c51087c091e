/**
 * Should each agent be an actor? Times the rollout as dits drives it (one promise actor whose
 * loop calls the agent turn by turn, actors/dialogue.ts) against the same rollout as a machine
 * that spawns one actor per agent and exchanges events with them: TURN{request} to the speaker,
 * REPLY{completion} or FAILED{error} back (the prototype below). Both give the same dialogues;
 * the bench checks that before it times anything.
 *
 *   node bin/run-ts.mjs bench/agent-actors.ts [--scenario gsm8k] [--tasks 40] [--dialogues 1200] [--runs 7]
 *
 * Two figures, medians over runs, each run timing both variants in alternating order on fresh
 * worlds (cold memos, as in a real run):
 * - dialogues: root dialogues of the simulated model, 24 at a time, as a node's rollouts run;
 * - search: whole searches (optima, 8 selections x 3 rollouts) of `tasks` tasks, 8 coordinators
 *   at a time, the node's rollout actor replaced by the variant; this is the figure that decides.
 * Ratios are within a run (agents-as-actors time / today's time), then the median is taken.
 */
import { parseArgs } from 'node:util';
import { assign, createActor, enqueueActions, fromCallback, setup, toPromise, type ActorRefFrom, type AnyActorLogic } from 'xstate';
import { agentTurn } from '../actors/agent.ts';
import { rolloutLogic, type DialogueInput } from '../actors/dialogue.ts';
import { nodeMachine } from '../actors/node.ts';
import { searchMachine, type SearchInput, type SearchResult } from '../actors/search.ts';
import type { Completion, ModelBackend, SampleRequest } from '../engine/base/model-backend.ts';
import { applyReply, cappedDialogue, nextTurn, prepareDialogue, type Dialogue, type DialogueOptions, type DialogueSetup, type Utterance } from '../engine/dialogue/dialogue.ts';
import { DialogueScorer } from '../engine/dialogue/scoring.ts';
import { optimaPolicy } from '../engine/search/policies/optima.ts';
import { SimBackend } from '../engine/sim/backend.ts';
import { generateArithmeticTasks, generateIeTasks } from '../engine/sim/generate.ts';
import { createSimWorld } from '../engine/sim/world.ts';
import { resolveScenario } from '../scenarios/scenario-file.ts';
import type { Task } from '../scenarios/task.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'gsm8k' },
    tasks: { type: 'string', default: '40' },
    dialogues: { type: 'string', default: '1200' },
    runs: { type: 'string', default: '7' },
  },
});
const TASKS = Number(values.tasks);
const DIALOGUES = Number(values.dialogues);
const RUNS = Number(values.runs);
const SEED = 3;
/** A fixed token normalizer: estimating it is not what is measured. */
const NORMALIZER = 300;
const COORDINATORS = 8;
const AT_ONCE = 24;

// ---- The prototype: a dialogue whose agents are actors -------------------------------------

type TurnEvent = { type: 'TURN'; request: SampleRequest };
type ReplyEvent = { type: 'REPLY'; completion: Completion };
type FailedEvent = { type: 'FAILED'; error: unknown };

/** An agent for the whole dialogue: each TURN is one model call, answered by REPLY or FAILED; stopping it aborts the call. */
const agentLogic = fromCallback<TurnEvent, { backend: ModelBackend }>(({ input, receive, sendBack }) => {
  const controller = new AbortController();
  receive((event) => {
    agentTurn(input.backend, event.request, { signal: controller.signal }).then(
      (completion) => controller.signal.aborted || sendBack({ type: 'REPLY', completion } satisfies ReplyEvent),
      (error: unknown) => controller.signal.aborted || sendBack({ type: 'FAILED', error } satisfies FailedEvent),
    );
  });
  return () => controller.abort();
});

interface AgentDialogueContext {
  input: DialogueInput;
  agents: Record<string, ActorRefFrom<typeof agentLogic>>;
  utterances: Utterance[];
  request: SampleRequest | null;
  dialogue: Dialogue | null;
  error: unknown;
}

/** deciding --turn due--> waiting (TURN sent to the speaker) --REPLY--> deciding ... --> done; FAILED --> failed (throws). */
const agentsAsActors = setup({
  types: {} as { context: AgentDialogueContext; input: DialogueInput; output: Dialogue; events: ReplyEvent | FailedEvent },
  actors: { agent: agentLogic },
  actions: {
    decide: assign(({ context }) => {
      if (context.dialogue !== null) return {};
      const { setup: s, opts } = context.input;
      const turn = nextTurn(s, context.utterances, opts);
      return turn === null ? { request: null, dialogue: cappedDialogue(context.utterances, opts.mode) } : { request: turn.request };
    }),
    ask: enqueueActions(({ context, enqueue }) => {
      const request = context.request as SampleRequest;
      enqueue.sendTo(context.agents[request.speaker] as ActorRefFrom<typeof agentLogic>, { type: 'TURN', request });
    }),
    apply: assign(({ context, event }) => {
      const { setup: s, backend, opts } = context.input;
      const request = context.request as SampleRequest;
      const step = applyReply(s, context.utterances, request.speaker, (event as ReplyEvent).completion, (text) => backend.countTokens(text), opts.mode);
      return { utterances: step.utterances, dialogue: step.done };
    }),
    recordError: assign(({ event }) => ({ error: (event as FailedEvent).error })),
    throwError: ({ context }) => {
      throw context.error;
    },
  },
  guards: { over: ({ context }) => context.dialogue !== null },
}).createMachine({
  id: 'agent-dialogue',
  context: ({ input, spawn }) => ({
    input,
    agents: Object.fromEntries(input.setup.scenario.agents.map((a) => [a.name, spawn('agent', { id: `agent-${a.name}`, input: { backend: input.backend } })])),
    utterances: [...(input.opts.history ?? [])],
    request: null,
    dialogue: null,
    error: undefined,
  }),
  initial: 'deciding',
  states: {
    deciding: { entry: 'decide', always: [{ guard: 'over', target: 'done' }, { target: 'waiting', actions: 'ask' }] },
    waiting: { on: { REPLY: { target: 'deciding', actions: 'apply' }, FAILED: { target: 'failed', actions: 'recordError' } } },
    done: { type: 'final' },
    failed: { entry: 'throwError' },
  },
  output: ({ context }) => context.dialogue as Dialogue,
});

// ---- The workloads --------------------------------------------------------------------------

const { scenario } = resolveScenario(values.scenario as string);
const generate = scenario.context.split === 'none' ? generateArithmeticTasks : generateIeTasks;
const tasks: Task[] = generate(SEED, TASKS);

type Variant = 'today' | 'agent actors';
const rolloutOf: Record<Variant, AnyActorLogic> = { today: rolloutLogic, 'agent actors': agentsAsActors };

function fresh() {
  const backend = new SimBackend(createSimWorld(scenario, tasks));
  return { backend, scorer: new DialogueScorer(scenario, backend) };
}

/** DIALOGUES root dialogues, AT_ONCE at a time; the dialogues and the milliseconds. */
async function dialogues(variant: Variant): Promise<{ out: Dialogue[]; ms: number }> {
  const { backend } = fresh();
  const setups = tasks.map((t) => prepareDialogue(scenario, t, SEED));
  const out: Dialogue[] = [];
  const t0 = performance.now();
  for (let i = 0; i < DIALOGUES; i += AT_ONCE) {
    const batch = Array.from({ length: Math.min(AT_ONCE, DIALOGUES - i) }, (_, j) => {
      const k = i + j;
      const opts: DialogueOptions = { seedKey: [SEED, k], temperature: 0.7, mode: 'rollout' };
      return toPromise(createActor(rolloutOf[variant], { input: { setup: setups[k % setups.length] as DialogueSetup, backend, opts } satisfies DialogueInput }).start()) as Promise<Dialogue>;
    });
    out.push(...(await Promise.all(batch)));
  }
  return { out, ms: performance.now() - t0 };
}

/** Every task searched, COORDINATORS at a time, the node's rollouts being `variant`; the trees' texts and the milliseconds. */
async function searches(variant: Variant): Promise<{ out: string[][]; ms: number; rollouts: number }> {
  const { backend, scorer } = fresh();
  const machine = searchMachine.provide({ actors: { node: nodeMachine.provide({ actors: { rollout: rolloutOf[variant] as typeof rolloutLogic } }) } });
  const out: string[][] = [];
  let rollouts = 0;
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    for (let i = next++; i < tasks.length; i = next++) {
      const task = tasks[i] as Task;
      const input: SearchInput = { task, setup: prepareDialogue(scenario, task, SEED), scenario, backend, scorer, policy: optimaPolicy(), seed: SEED, normalizer: NORMALIZER };
      const r: SearchResult = await toPromise(createActor(machine, { input }).start());
      out[i] = r.tree.text.slice(0, r.tree.size);
      rollouts += r.rollouts.flat().length;
    }
  };
  await Promise.all(Array.from({ length: COORDINATORS }, lane));
  return { out, ms: performance.now() - t0, rollouts };
}

async function main() {
  // Same outputs first: a faster variant that said something else would prove nothing.
  const [d0, d1] = [await dialogues('today'), await dialogues('agent actors')];
  if (JSON.stringify(d0.out) !== JSON.stringify(d1.out)) throw new Error('the two dialogue variants disagree');
  const [s0, s1] = [await searches('today'), await searches('agent actors')];
  if (JSON.stringify(s0.out) !== JSON.stringify(s1.out)) throw new Error('the two search variants disagree');
  const turns = d0.out.reduce((s, d) => s + d.utterances.length, 0);

  const rows: Record<'dialogues' | 'search', { today: number[]; actors: number[]; ratio: number[] }> = {
    dialogues: { today: [], actors: [], ratio: [] },
    search: { today: [], actors: [], ratio: [] },
  };
  let rollouts = 0;
  for (let run = 0; run < RUNS; run++) {
    const order: Variant[] = run % 2 === 0 ? ['today', 'agent actors'] : ['agent actors', 'today'];
    const d: Partial<Record<Variant, number>> = {};
    const s: Partial<Record<Variant, number>> = {};
    for (const v of order) d[v] = (await dialogues(v)).ms;
    for (const v of order) {
      const r = await searches(v);
      s[v] = r.ms;
      rollouts = r.rollouts;
    }
    for (const [row, m] of [[rows.dialogues, d], [rows.search, s]] as const) {
      row.today.push(m.today as number);
      row.actors.push(m['agent actors'] as number);
      row.ratio.push((m['agent actors'] as number) / (m.today as number));
    }
  }
  const f = (x: number) => x.toFixed(1);
  console.log(`scenario ${scenario.name}, ${RUNS} runs (medians), node ${process.version}`);
  console.log(
    `dialogues: ${DIALOGUES} (${turns} turns): today ${f(median(rows.dialogues.today))} ms, agent actors ${f(median(rows.dialogues.actors))} ms, ratio ${median(rows.dialogues.ratio).toFixed(3)}; ` +
      `+${f(((median(rows.dialogues.actors) - median(rows.dialogues.today)) * 1000) / DIALOGUES)} us per dialogue`,
  );
  console.log(
    `search: ${TASKS} tasks (${rollouts} rollouts): today ${f(median(rows.search.today))} ms, agent actors ${f(median(rows.search.actors))} ms, ratio ${median(rows.search.ratio).toFixed(3)}; ` +
      `+${f(((median(rows.search.actors) - median(rows.search.today)) * 1000) / rollouts)} us per rollout`,
  );
  console.log(`search ratios by run: ${rows.search.ratio.map((r) => r.toFixed(3)).join(' ')}`);
}

await main();
