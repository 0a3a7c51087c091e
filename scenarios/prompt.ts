/**
 * Rendering an agent's system prompt from its template (`${name}`, `${partner}`, `${partners}`,
 * `${question}`, `${information}`, `${options}`).
 */
import type { Scenario } from './schema.ts';
import type { Task } from './task.ts';

/** Options as a bracketed list, the way the reference prompts print a Python list. */
export function renderOptions(options: readonly string[]): string {
  return `[${options.map((o) => `'${o}'`).join(', ')}]`;
}

function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\$\{(\w+)\}/g, (whole, key: string) => vars[key] ?? whole);
}

/** The question as the agents see it: with the scenario's options suffix when the task has options. */
export function renderQuestion(scenario: Scenario, task: Task): string {
  const suffix = scenario.question.optionsSuffix;
  if (!suffix || !task.options || task.options.length === 0) return task.question;
  return task.question + fill(suffix, { options: renderOptions(task.options) });
}

/** Agent indices in speaking order, starting from `turns.first` (default: the first agent listed). */
export function speakingOrder(scenario: Scenario): number[] {
  const n = scenario.agents.length;
  const first = scenario.turns.first ? scenario.agents.findIndex((a) => a.name === scenario.turns.first) : 0;
  return Array.from({ length: n }, (_, i) => (first + i) % n);
}

/** Each agent's system prompt for a task, given the information lines dealt to it. */
export function renderSystemPrompts(scenario: Scenario, task: Task, information: readonly string[][]): string[] {
  const order = speakingOrder(scenario);
  const names = scenario.agents.map((a) => a.name);
  const question = renderQuestion(scenario, task);
  const options = task.options ? renderOptions(task.options) : '';
  return scenario.agents.map((agent, i) => {
    // ${partner} is the agent who speaks right after this one: with two agents, the other one.
    const next = order[(order.indexOf(i) + 1) % order.length] as number;
    return fill(agent.prompt, {
      name: agent.name,
      partner: names[next] as string,
      partners: names.filter((_, j) => j !== i).join(', '),
      question,
      information: (information[i] ?? []).join(scenario.context.join),
      options,
    }).trimEnd();
  });
}
