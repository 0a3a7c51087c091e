/**
 * Warnings about a scenario the schema accepts but that cannot do what its author meant: agents
 * that never see the question or their context, an agent that never speaks, reward thresholds
 * no dialogue can pass, an agent name the reward's name check misreads, an answer format no
 * prompt asks for, options no agent is shown. `dits scenario validate` prints them, and the
 * commands that run a scenario print them once on stderr; the built-ins have none.
 */
import { DATASET_FORMATS } from './datasets/index.ts';
import type { ScenarioIssue } from './errors.ts';
import { speakingOrder } from './prompt.ts';
import type { FieldPath, ScenarioSource } from './scenario-file.ts';
import type { Scenario } from './schema.ts';

/** One suspicious field: its path in the scenario and what is wrong with it. */
export interface ScenarioWarning {
  path: FieldPath;
  message: string;
}

/** Every warning of a parsed scenario. */
export function lintScenario(s: Scenario): ScenarioWarning[] {
  return [
    ...nameWarnings(s),
    ...promptWarnings(s),
    ...turnWarnings(s),
    ...answerWarnings(s),
    ...rewardWarnings(s),
    ...optionWarnings(s),
    ...datasetWarnings(s),
  ];
}

/** The warnings of a scenario file, each at the line and column of its field, in file order. */
export function scenarioWarnings(source: ScenarioSource): ScenarioIssue[] {
  return lintScenario(source.scenario)
    .map((w) => source.issueAt(w.path, w.message))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

const has = (template: string | undefined, variable: string) => template?.includes(`\${${variable}}`) ?? false;

// ---------------------------------------------------------------------------------------------
// Agents and their prompts.

/**
 * The reward finds `Name:` anywhere in an utterance (engine/reward/names.ts, as the reference
 * does), so with agents Bob and BigBob every `BigBob:` also reads as `Bob:`, and each of
 * BigBob's utterances looks like one that speaks for two agents.
 */
function nameWarnings(s: Scenario): ScenarioWarning[] {
  const names = s.agents.map((a) => a.name);
  return names.flatMap((name, i) => {
    const inside = names.find((other) => other !== name && name.endsWith(other));
    if (inside === undefined) return [];
    return [{
      path: ['agents', i, 'name'],
      message: `${name} ends with ${inside}: the reward's name check reads every '${name}:' as '${inside}:' too, so each of ${name}'s utterances counts as speaking for two agents (correct set to 0 in search, 10 subtracted on the SFT path); pick names that do not end with one another`,
    }];
  });
}

function promptWarnings(s: Scenario): ScenarioWarning[] {
  const warnings: ScenarioWarning[] = [];
  if (!s.agents.some((a) => has(a.prompt, 'question'))) {
    warnings.push({ path: ['agents'], message: "no agent's prompt has ${question}: the agents never see the task's question" });
  }
  s.agents.forEach((a, i) => {
    const path = ['agents', i, 'prompt'];
    if (s.family === 'information-exchange' && !has(a.prompt, 'information')) {
      warnings.push({ path, message: `${a.name}'s prompt has no \${information}: the context dealt to ${a.name} never reaches it` });
    }
    if (s.family === 'debate' && has(a.prompt, 'information')) {
      warnings.push({ path, message: '${information} is always empty in a debate, which deals no context' });
    }
  });
  return warnings;
}

/** Agents speak in turn from turns.first; those after the cap's last turn never speak. */
function turnWarnings(s: Scenario): ScenarioWarning[] {
  const cap = s.turns.maxUtterances;
  const silent = speakingOrder(s).slice(cap).map((i) => s.agents[i]?.name as string);
  if (silent.length === 0) return [];
  const who = silent.length === 1 ? `${silent[0]} never speaks` : `${silent.join(', ')} never speak`;
  const decider = s.turns.decider !== undefined && silent.includes(s.turns.decider) ? `, and ${s.turns.decider} is the decider: every dialogue runs to the cap` : '';
  return [{
    path: ['turns', 'maxUtterances'],
    message: `${cap} utterance${cap === 1 ? '' : 's'} for ${s.agents.length} agents: ${who}${decider}`,
  }];
}

/** The markup each answer format parses (scenarios/answers.ts): a prompt should ask for it. */
const ANSWER_MARKUP = { tag: '<A>', boxed: '\\boxed' } as const;

function answerWarnings(s: Scenario): ScenarioWarning[] {
  const markup = ANSWER_MARKUP[s.answer.format];
  if (s.agents.some((a) => a.prompt.includes(markup))) return [];
  return [{
    path: ['answer', 'format'],
    message: `no agent's prompt mentions ${markup} (answer.format ${s.answer.format}): no agent is told how to state an answer, and a dialogue without a parsed answer runs to the cap`,
  }];
}

// ---------------------------------------------------------------------------------------------
// Options and the dataset.

/** The loaders whose every task has options (scenarios/datasets/arc.ts, mmlu.ts, cbt.ts). */
const FORMATS_WITH_OPTIONS = ['arc', 'mmlu', 'cbt'];

/** A task's options reach the agents only through `${options}`, in a prompt or in the options suffix. */
function optionWarnings(s: Scenario): ScenarioWarning[] {
  const suffix = s.question.optionsSuffix;
  const format = s.dataset?.format;
  if (s.agents.some((a) => has(a.prompt, 'options')) || has(suffix, 'options')) return [];
  if (suffix !== undefined) {
    return [{ path: ['question', 'optionsSuffix'], message: "has no ${options}, and no prompt has: a task's options never reach the agents" }];
  }
  if (format !== undefined && FORMATS_WITH_OPTIONS.includes(format)) {
    return [{ path: ['dataset', 'format'], message: `${format} tasks have options, but neither a prompt nor question.optionsSuffix has \${options}: the agents never see them` }];
  }
  return [];
}

/** The schema takes any dataset.format; a wrong one would only fail once `--tasks` is given. */
function datasetWarnings(s: Scenario): ScenarioWarning[] {
  const format = s.dataset?.format;
  if (format === undefined || DATASET_FORMATS.includes(format)) return [];
  return [{ path: ['dataset', 'format'], message: `unknown dataset format '${format}' (known: ${DATASET_FORMATS.join(', ')}): --tasks without --format will be refused` }];
}

// ---------------------------------------------------------------------------------------------
// Reward thresholds.

/** The −1 that Optima's overrides set token_score and ppl_score to (engine/reward/reward.ts OVERRIDE_SCORE). */
const OVERRIDE = -1;
/** What `data_clean` subtracts per multi-name utterance on the SFT path (engine/reward/names.ts). */
const CLEAN_PENALTY = 10;
/**
 * ppl_score = λ2 / max_k CE_k has no ceiling in the formula: CE → 0 sends it to infinity. A
 * dialogue's least readable utterance read at under 0.1 nats a token (every token at p > 0.9,
 * the name and the answer included) is taken as out of reach; docs/scenarios.md says so.
 */
export const READABILITY_CE_FLOOR = 0.1;

/**
 * The range of Optima's total reward R = correct + token_score + ppl_score − clean
 * (engine/reward/reward.ts), term by term: correct in [0, 1]; token_score = λ1·tokens/M, in [λ1, 0]
 * for a dialogue no longer than the normalizer M, or −1; ppl_score −1, 0, or λ2 / max CE in
 * (0, λ2 / READABILITY_CE_FLOOR]; clean 0 to 10 per utterance, SFT path only.
 */
export interface RewardRange {
  /** The most any dialogue scores: correct 1, token_score 0, the readability ceiling. */
  max: number;
  /** The least an SFT sample scores: there M is the task's longest sample, so none is longer. */
  sftMin: number;
  /**
   * The least a search rollout no longer than M scores. M is the P80 of sampled dialogues, so a
   * longer rollout scores lower (without bound: its token_score grows with its length).
   */
  searchMin: number;
}

export function rewardRange(s: Scenario): RewardRange {
  const { lambdaToken, lambdaLoss } = s.reward;
  const searchMin = Math.min(lambdaToken, OVERRIDE) + OVERRIDE;
  return {
    max: 1 + lambdaLoss / READABILITY_CE_FLOOR,
    sftMin: searchMin - CLEAN_PENALTY * s.turns.maxUtterances,
    searchMin,
  };
}

const num = (x: number) => String(+x.toFixed(3));

function rewardWarnings(s: Scenario): ScenarioWarning[] {
  const { sftThreshold, pairThreshold, pairGap } = s.reward;
  const { max, sftMin, searchMin } = rewardRange(s);
  const top = `${num(max)}, the most a dialogue can score (correct 1 + token score 0 + readability lambdaLoss / ${READABILITY_CE_FLOOR})`;
  const rollout = 'a rollout no longer than the token normalizer';
  const checks: [boolean, string, string][] = [
    [sftThreshold > max, 'sftThreshold', `${num(sftThreshold)} is above ${top}: no SFT example passes`],
    [sftThreshold < sftMin, 'sftThreshold', `${num(sftThreshold)} is below ${num(sftMin)}, the least an SFT sample can score: it drops nothing`],
    [pairThreshold > max, 'pairThreshold', `${num(pairThreshold)} is above ${top}: no pair passes`],
    [pairThreshold < searchMin, 'pairThreshold', `${num(pairThreshold)} is below ${num(searchMin)}, the least ${rollout} scores: the value filter keeps almost every pair`],
    [pairGap > max - searchMin, 'pairGap', `${num(pairGap)} is more than ${num(max - searchMin)}, the spread of the values of ${rollout} (${num(searchMin)} to ${num(max)}): almost no pair passes`],
  ];
  return checks.filter(([bad]) => bad).map(([, field, message]) => ({ path: ['reward', field], message }));
}
