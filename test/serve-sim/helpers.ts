/** Shared set-up of the serve-sim tests: worlds, engine-rendered prompts and a small JSON client. */
import { prepareDialogue } from '../../engine/dialogue/dialogue.ts';
import type { ChatMessage } from '../../engine/base/model-backend.ts';
import { SimBackend } from '../../engine/sim/backend.ts';
import { generateArithmeticTasks, generateIeTasks } from '../../engine/sim/generate.ts';
import { createSimWorld, type SimWorld } from '../../engine/sim/world.ts';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import type { Task } from '../../scenarios/task.ts';

export interface Fixture {
  scenario: Scenario;
  tasks: Task[];
  world: SimWorld;
}

export function ieFixture(n = 12): Fixture {
  const scenario = resolveScenario('hotpotqa').scenario;
  const tasks = generateIeTasks(3, n);
  return { scenario, tasks, world: createSimWorld(scenario, tasks) };
}

export function debateFixture(n = 12): Fixture {
  const scenario = resolveScenario('gsm8k').scenario;
  const tasks = generateArithmeticTasks(3, n);
  return { scenario, tasks, world: createSimWorld(scenario, tasks) };
}

/**
 * A dialogue of `turns` utterances on task `i`, agents in scenario order, sampled in process;
 * returns each turn's request as the speaking agent sees it (its system prompt, then the utterances so far).
 */
export function dialogueTurns(f: Fixture, i: number, turns: number): { speaker: string; messages: ChatMessage[]; text: string }[] {
  const task = f.tasks[i] as Task;
  const { systemPrompts } = prepareDialogue(f.scenario, task, i);
  const backend = new SimBackend(f.world);
  const said: string[] = [];
  const out: { speaker: string; messages: ChatMessage[]; text: string }[] = [];
  for (let t = 0; t < turns; t++) {
    const a = t % f.scenario.agents.length;
    const speaker = (f.scenario.agents[a] as { name: string }).name;
    const messages: ChatMessage[] = [{ role: 'system', content: systemPrompts[a] as string }, ...said.map((s) => ({ role: 'assistant' as const, content: s }))];
    const text = (backend.sampleSync({ messages, speaker, n: 1, temperature: 1, maxTokens: 500, seed: 1000 * i + t })[0] as { text: string }).text;
    out.push({ speaker, messages, text });
    said.push(text);
  }
  return out;
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export async function post(url: string, path: string, body: unknown, init: RequestInit = {}): Promise<JsonResponse> {
  const r = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body), ...init });
  return read(r);
}

export async function get(url: string, path: string): Promise<JsonResponse> {
  return read(await fetch(url + path));
}

async function read(r: Response): Promise<JsonResponse> {
  const text = await r.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: r.status, headers: r.headers, body, text };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it holds (or fails after `ms`). */
export async function until(check: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(10);
  }
}
