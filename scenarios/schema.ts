/**
 * The scenario file format (YAML or JSON), as a zod schema: the single source of truth for
 * the Scenario type, for validation and for the generated JSON Schema.
 */
import { z } from 'zod';

export const FAMILIES = ['debate', 'information-exchange'] as const;
export const ROLES = ['solver', 'critic', 'peer'] as const;
/** How a task's context pieces are dealt to the agents (§1.2). */
export const SPLIT_RULES = [
  'none', // debate: nobody gets context
  'alternate-supporting-shuffled', // HotpotQA: supporting pieces shuffled, dealt A/B/A/...; others by coin flip
  'alternate-supporting-ordered', // 2WikiMultihopQA: supporting pieces in order, dealt A/B/...; others by coin flip
  'shuffle-alternate', // TriviaQA: all pieces shuffled, then dealt A/B/...
  'halves', // CBT: the first half of the sentences to the first agent, the rest to the next
] as const;
export const METRICS = ['f1', 'em', 'math'] as const;
export const ANSWER_FORMATS = ['tag', 'boxed'] as const;

const templateVar = /\$\{(\w+)\}/g;
export const TEMPLATE_VARIABLES = ['name', 'partner', 'partners', 'question', 'information', 'options'] as const;

const template = z.string().min(1).superRefine((s, ctx) => {
  for (const m of s.matchAll(templateVar)) {
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(m[1] ?? '')) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown template variable \${${m[1]}}; known: ${TEMPLATE_VARIABLES.map((v) => `\${${v}}`).join(', ')}`,
      });
    }
  }
});

export const agentSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z][\w-]*$/, 'a name is a word (letters, digits, _ or -), starting with a letter'),
  role: z.enum(ROLES),
  prompt: template,
});

export const rewardSchema = z.strictObject({
  /** λ1 of §2.1 (negative: tokens cost). */
  lambdaToken: z.number().max(0),
  /** λ2 of §2.1 (readability). */
  lambdaLoss: z.number().min(0),
  /** θ_sft of §2.2: SFT examples need a total reward above it. */
  sftThreshold: z.number(),
  /** θ_filter of §2.3: a pair's chosen value must exceed it. */
  pairThreshold: z.number(),
  /** θ_diff of §2.3: chosen minus rejected value must exceed it. */
  pairGap: z.number().min(0).default(0.2),
  /** DPO β for this dataset (§2.4 / §3.4). */
  dpoBeta: z.number().positive(),
});

export const scenarioSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a scenario name is lower-case letters, digits and -'),
    description: z.string().default(''),
    family: z.enum(FAMILIES),
    agents: z.array(agentSchema).min(2, 'a scenario needs at least two agents'),
    context: z
      .strictObject({
        split: z.enum(SPLIT_RULES),
        firstSentenceOnly: z.boolean().default(false),
        join: z.string().default('\n'),
      })
      .default({ split: 'none', firstSentenceOnly: false, join: '\n' }),
    question: z
      .strictObject({
        /** Appended to the question when the task has options; `${options}` is the list. */
        optionsSuffix: template.optional(),
      })
      .default({}),
    turns: z
      .strictObject({
        first: z.string().optional(),
        /**
         * The agent whose stated answer ends the dialogue; without one, any answer that repeats
         * the previous stated answer does (§1.1), which with three or more agents lets two of
         * them end it before a third has spoken.
         */
        decider: z.string().optional(),
        maxUtterances: z.number().int().min(1).default(10),
        maxTokens: z.number().int().min(1).default(2000),
      })
      .default({ maxUtterances: 10, maxTokens: 2000 }),
    answer: z.strictObject({ format: z.enum(ANSWER_FORMATS) }),
    metric: z.enum(METRICS),
    reward: rewardSchema,
    /**
     * Which slice of the tasks ranked by their best sample's reward gives SFT data (§2.2):
     * [from, to) as fractions; absent, the reference's [0, 0.7] (its MATH runs keep [0.1, 0.8]).
     */
    sft: z
      .strictObject({
        keep: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).refine(([a, b]) => a < b, 'keep is [from, to) with from < to'),
      })
      .optional(),
    /** The loader format `--tasks FILE` is read with unless `--format` says otherwise. */
    dataset: z.strictObject({ format: z.string() }).optional(),
  })
  .superRefine((s, ctx) => {
    const names = s.agents.map((a) => a.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['agents', i, 'name'], message: `agent name ${n} is used twice` });
    });
    if (s.turns.first !== undefined && !names.includes(s.turns.first)) {
      ctx.addIssue({ code: 'custom', path: ['turns', 'first'], message: `first speaker ${s.turns.first} is not one of the agents (${names.join(', ')})` });
    }
    if (s.turns.decider !== undefined && !names.includes(s.turns.decider)) {
      ctx.addIssue({ code: 'custom', path: ['turns', 'decider'], message: `decider ${s.turns.decider} is not one of the agents (${names.join(', ')})` });
    }
    if (s.family === 'debate') {
      if (!s.agents.some((a) => a.role === 'solver')) ctx.addIssue({ code: 'custom', path: ['agents'], message: 'a debate needs an agent with role solver' });
      if (s.context.split !== 'none') ctx.addIssue({ code: 'custom', path: ['context', 'split'], message: 'a debate shares no context: split must be none' });
    } else if (s.context.split === 'none') {
      ctx.addIssue({ code: 'custom', path: ['context', 'split'], message: 'information exchange needs a split rule other than none' });
    }
  });

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type AgentSpec = Scenario['agents'][number];
export type AgentRole = (typeof ROLES)[number];
export type SplitRule = (typeof SPLIT_RULES)[number];
export type MetricName = (typeof METRICS)[number];
export type RewardWeights = Scenario['reward'];
