/**
 * The search invariants of properties/invariants.ts against every built-in policy (each also
 * against its own rule), and against the deliberately broken fixtures, each of which must be
 * caught by the invariant it breaks, with a shrunk case that replays.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generatorFor } from '../engine/tasks/task-source.ts';
import { SimBackend } from '../engine/sim/backend.ts';
import { createSimWorld } from '../engine/sim/world.ts';
import { BUILTIN_POLICIES, loadPolicy } from '../engine/search/policies/index.ts';
import { resolveScenario } from '../scenarios/scenario-file.ts';
import { checkPolicy } from './check-policy.ts';
import type { StressEnv } from './invariants.ts';

const env: StressEnv = {
  scenarios: ['gsm8k', 'hotpotqa'].map((name) => {
    const { scenario } = resolveScenario(name);
    const tasks = generatorFor(scenario).make(1, 8);
    return { name, scenario, tasks, backend: new SimBackend(createSimWorld(scenario, tasks)) };
  }),
};

const fixture = (name: string) => fileURLToPath(new URL(`../test/fixtures/policies/${name}.ts`, import.meta.url));

describe('every built-in policy keeps every search invariant and its own rule', () => {
  it.each(Object.keys(BUILTIN_POLICIES))('%s', async (name) => {
    const policy = await loadPolicy(name, {});
    const outcomes = await checkPolicy({ policy, rule: name }, env, { runs: 25, seed: 7 });
    expect(outcomes.map((o) => `${o.id}: ${o.status}${o.message ? ` (${o.message}; ${o.counterexample})` : ''}`)).toEqual(outcomes.map((o) => `${o.id}: held`));
  });

  it('holds under a token budget too, never spending past it', async () => {
    const policy = await loadPolicy('optima', {});
    const [budget] = await checkPolicy({ policy }, { ...env, tokenBudget: 5000 }, { runs: 25, seed: 3, only: ['budget'] });
    expect(budget?.status).toBe('held');
  });
});

describe('broken policies are caught, with a shrunk case that replays', () => {
  it.each([
    ['returns-terminal', undefined, 'legal-node', /ended a dialogue/],
    ['past-budget', undefined, 'budget', /visits after \d+ rollouts|selections with/],
    ['past-budget', undefined, 'backup', /differ from a replay/],
    ['clock-dependent', undefined, 'deterministic', /second run of the same case/],
    ['uct-flipped', 'uct', 'rule', /the uct rule chooses/],
    ['optima-no-filter', 'optima', 'rule', /the optima rule chooses/],
  ] as const)('%s (rule %s) breaks %s', async (name, rule, id, problem) => {
    const policy = await loadPolicy(fixture(name), {});
    const target = { policy, ...(rule ? { rule } : {}) };
    const [broken] = await checkPolicy(target, env, { runs: 100, seed: 11, only: [id] });
    expect(broken?.status).toBe('broken');
    expect(broken?.message).toMatch(problem);
    expect(broken?.counterexample).toBeTruthy();
    expect(broken?.path).toBeTruthy();
    const [again] = await checkPolicy(target, env, { runs: 100, seed: 11, only: [id], path: broken?.path as string });
    expect(again?.status).toBe('broken');
    expect(again?.counterexample).toBe(broken?.counterexample);
    expect(again?.message).toBe(broken?.message);
  });

  it('a legal but unusual policy (deepest-first) keeps every invariant', async () => {
    const outcomes = await checkPolicy({ policy: await loadPolicy(fixture('deepest-first'), {}) }, env, { runs: 25, seed: 5 });
    expect(outcomes.filter((o) => o.status === 'broken')).toEqual([]);
    expect(outcomes.find((o) => o.id === 'rule')?.status).toBe('skipped');
  });
});
