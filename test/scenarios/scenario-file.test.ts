import { describe, expect, it } from 'vitest';
import { listBuiltinScenarios, parseScenarioText, resolveScenario } from '../../scenarios/scenario-file.ts';
import { ScenarioFileError } from '../../scenarios/errors.ts';
import { DEFAULT_REWARD_WEIGHTS } from '../../engine/reward/reward.ts';

const VALID = `name: tiny
family: information-exchange
agents:
  - name: Alice
    role: peer
    prompt: "You are \${name}. Q: \${question}. You know: \${information}"
  - name: Bob
    role: peer
    prompt: "You are \${name}. Q: \${question}. You know: \${information}"
context:
  split: shuffle-alternate
answer:
  format: tag
metric: f1
reward:
  lambdaToken: -0.6
  lambdaLoss: 1
  sftThreshold: 0.5
  pairThreshold: 0.4
  dpoBeta: 0.1
`;

function issuesOf(text: string, file = 'my.yaml') {
  try {
    parseScenarioText(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioFileError);
    return { message: (e as ScenarioFileError).message, issues: (e as ScenarioFileError).issues };
  }
  throw new Error('expected the scenario to be rejected');
}

describe('scenario files', () => {
  it('reads a valid YAML scenario and fills defaults', () => {
    const s = parseScenarioText(VALID, 'tiny.yaml');
    expect(s.turns).toEqual({ maxUtterances: 10, maxTokens: 2000 });
    expect(s.reward.pairGap).toBe(0.2);
    expect(s.context.firstSentenceOnly).toBe(false);
  });

  it('reads the same scenario written as JSON', () => {
    const json = JSON.stringify(parseScenarioText(VALID, 'tiny.yaml'), null, 2);
    expect(parseScenarioText(json, 'tiny.json')).toEqual(parseScenarioText(VALID, 'tiny.yaml'));
  });

  it('names file, line and field of a bad enum value', () => {
    const { message, issues } = issuesOf(VALID.replace('role: peer', 'role: judge'));
    expect(issues[0]).toMatchObject({ field: 'agents[0].role', line: 5 });
    expect(message).toMatch(/^my\.yaml:5:\d+: agents\[0\]\.role: /);
  });

  it('names the line of an unknown field', () => {
    const { issues } = issuesOf(VALID.replace('metric: f1', 'metric: f1\nmetrics: em'));
    expect(issues[0]).toMatchObject({ field: 'metrics', line: 15 });
  });

  it('points a missing field at its parent', () => {
    const { issues } = issuesOf(VALID.replace('  dpoBeta: 0.1\n', ''));
    expect(issues[0]?.field).toBe('reward.dpoBeta');
    expect(issues[0]?.line).toBe(15); // the `reward:` key
  });

  it('rejects unknown template variables and says which are known', () => {
    const { issues } = issuesOf(VALID.replace('Q: ${question}', 'Q: ${questoin}'));
    expect(issues[0]?.field).toBe('agents[0].prompt');
    expect(issues[0]?.message).toContain('${questoin}');
  });

  it('checks cross-field rules: duplicate names, unknown first speaker, split vs family', () => {
    expect(issuesOf(VALID.replace('name: Bob', 'name: Alice')).issues[0]?.message).toMatch(/used twice/);
    expect(issuesOf(VALID.replace('answer:', 'turns:\n  first: Carol\nanswer:')).issues[0]?.field).toBe('turns.first');
    expect(issuesOf(VALID.replace('split: shuffle-alternate', 'split: none')).issues[0]?.field).toBe('context.split');
  });

  it('reports YAML syntax errors with their line', () => {
    const { issues } = issuesOf('name: x\nagents: [\n');
    expect(issues[0]?.message).toMatch(/syntax error/);
    expect(issues[0]?.line).toBeGreaterThanOrEqual(2);
  });

  it('ships all eight paper tasks as valid built-in scenarios', () => {
    expect(listBuiltinScenarios()).toEqual(['2wiki', 'arc', 'cbt', 'gsm8k', 'hotpotqa', 'math', 'mmlu', 'triviaqa']);
    for (const name of listBuiltinScenarios()) {
      const { scenario } = resolveScenario(name);
      expect(scenario.name).toBe(name);
      expect(scenario.agents.map((a) => a.name)).toEqual(['Alice', 'Bob']);
    }
  });

  it('gives the built-ins the per-dataset settings of docs/algorithm.md', () => {
    const get = (n: string) => resolveScenario(n).scenario;
    expect(get('gsm8k')).toMatchObject({ family: 'debate', metric: 'em', answer: { format: 'boxed' } });
    expect(get('math')).toMatchObject({ metric: 'math', turns: { maxTokens: 5000 } });
    expect(get('hotpotqa')).toMatchObject({ context: { split: 'alternate-supporting-shuffled', firstSentenceOnly: true } });
    expect(get('mmlu').reward).toMatchObject({ lambdaToken: -0.6, lambdaLoss: 0.7, sftThreshold: 0.7, pairThreshold: 0.45, dpoBeta: 0.1 });
    expect(get('arc').reward).toMatchObject({ lambdaToken: -0.5, lambdaLoss: 0.6 });
    expect(get('triviaqa').reward).toMatchObject({ sftThreshold: 0.6, pairThreshold: 0.43, dpoBeta: 0.7 });
    expect(get('gsm8k').agents.map((a) => a.role)).toEqual(['solver', 'critic']);
  });

  it('carries the per-dataset reward defaults of §2.1-§3.4 in every built-in', () => {
    for (const name of listBuiltinScenarios()) {
      expect(resolveScenario(name).scenario.reward).toEqual(DEFAULT_REWARD_WEIGHTS[name as keyof typeof DEFAULT_REWARD_WEIGHTS]);
    }
  });

  it('refuses an unknown scenario name and lists the built-ins', () => {
    expect(() => resolveScenario('gsm9k')).toThrow(/unknown scenario 'gsm9k'.*gsm8k/);
  });
});
