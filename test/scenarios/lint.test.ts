import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lintScenario, READABILITY_CE_FLOOR, rewardRange, scenarioWarnings } from '../../scenarios/lint.ts';
import { listBuiltinScenarios, parseScenarioSource, parseScenarioText, resolveScenario } from '../../scenarios/scenario-file.ts';
import { hasMultiName, optimaReward, type RewardPath } from '../../engine/reward/reward.ts';

// Lines: 3 agents, 6 and 9 the prompts, 12 turns, 13 maxUtterances, 15 answer format,
// 20 sftThreshold, 21 pairThreshold, 22 pairGap.
const BASE = `name: tiny
family: information-exchange
agents:
  - name: Alice
    role: peer
    prompt: "You are \${name}. Q: \${question}. You know: \${information}. Answer as <A>x</A>."
  - name: Bob
    role: peer
    prompt: "You are \${name}. Q: \${question}. You know: \${information}"
context:
  split: shuffle-alternate
turns:
  maxUtterances: 10
answer:
  format: tag
metric: f1
reward:
  lambdaToken: -0.6
  lambdaLoss: 1
  sftThreshold: 0.5
  pairThreshold: 0.4
  pairGap: 0.2
  dpoBeta: 0.1
`;

/** The located warnings of BASE with one edit. */
function warningsOf(from: string | RegExp, to: string, text = BASE) {
  const edited = text.replace(from, to);
  expect(edited).not.toBe(text);
  return scenarioWarnings(parseScenarioSource(edited, 'my.yaml'));
}

describe('scenario warnings', () => {
  it('has none for the base file and for every built-in', () => {
    expect(scenarioWarnings(parseScenarioSource(BASE, 'my.yaml'))).toEqual([]);
    for (const name of listBuiltinScenarios()) expect(scenarioWarnings(resolveScenario(name)), name).toEqual([]);
  });

  it('warns when no prompt has ${question}, at the agents list', () => {
    const w = warningsOf(/Q: \$\{question\}\. /g, '');
    expect(w).toEqual([{ field: 'agents', line: 3, column: 1, message: expect.stringContaining('never see the task') }]);
  });

  it("warns at the prompt of an information-exchange agent without ${information}, and of a debate agent with one", () => {
    const ie = warningsOf('You know: ${information}"', '"');
    expect(ie).toEqual([{ field: 'agents[1].prompt', line: 9, column: 5, message: expect.stringContaining('dealt to Bob never reaches it') }]);
    const debate = warningsOf('family: information-exchange', 'family: debate', BASE.replace('role: peer', 'role: solver').replace('split: shuffle-alternate', 'split: none'));
    expect(debate.map((w) => [w.field, w.line])).toEqual([['agents[0].prompt', 6], ['agents[1].prompt', 9]]);
    expect(debate[0]!.message).toMatch(/always empty in a debate/);
  });

  it('warns when the cap leaves an agent silent, naming it, and says so when it is the decider', () => {
    expect(warningsOf('maxUtterances: 10', 'maxUtterances: 1')).toEqual([
      { field: 'turns.maxUtterances', line: 13, column: 3, message: '1 utterance for 2 agents: Bob never speaks' },
    ]);
    const three = BASE.replace('context:', '  - name: Judge\n    role: peer\n    prompt: "Weigh \${partners} on \${question}: \${information}"\ncontext:');
    expect(lintScenario(parseScenarioText(three, 'my.yaml'))).toEqual([]);
    const w = warningsOf('maxUtterances: 10', 'maxUtterances: 2\n  decider: Judge', three);
    expect(w.map((x) => x.message)).toEqual(['2 utterances for 3 agents: Judge never speaks, and Judge is the decider: every dialogue runs to the cap']);
    // turns.first moves who is left out.
    expect(warningsOf('maxUtterances: 10', 'first: Bob\n  maxUtterances: 2', three)[0]!.message).toMatch(/Alice never speaks/);
  });

  it('locates a warning about a default at the nearest key the file has', () => {
    const many = BASE.replace('context:', `${Array.from({ length: 10 }, (_, i) => `  - name: P${i}\n    role: peer\n    prompt: "\${question} \${information}"\n`).join('')}context:`);
    const w = warningsOf('turns:\n  maxUtterances: 10\n', 'turns:\n  first: Alice\n', many);
    expect(w).toEqual([{ field: 'turns.maxUtterances', line: 42, column: 1, message: '10 utterances for 12 agents: P8, P9 never speak' }]);
  });

  it('warns about an agent name that ends with another agent\'s', () => {
    const w = warningsOf('name: Bob', 'name: BigAlice');
    expect(w).toEqual([{ field: 'agents[1].name', line: 7, column: 5, message: expect.stringContaining("reads every 'BigAlice:' as 'Alice:'") }]);
    // What the warning says of the reward.
    expect(hasMultiName('BigAlice: hello', ['Alice', 'BigAlice'])).toBe(true);
    expect(hasMultiName('Bob: hello', ['Alice', 'Bob'])).toBe(false);
  });

  it('warns when no prompt asks for the answer markup the format parses', () => {
    expect(warningsOf(' Answer as <A>x</A>.', '')).toEqual([{ field: 'answer.format', line: 15, column: 3, message: expect.stringContaining('mentions <A>') }]);
    const boxed = warningsOf('format: tag', 'format: boxed');
    expect(boxed.map((w) => w.message)).toEqual([expect.stringContaining('mentions \\boxed')]);
  });

  it('warns when a task\'s options cannot reach the agents, and about an unknown dataset format', () => {
    expect(warningsOf('turns:', 'question:\n  optionsSuffix: " Pick one."\nturns:').map((w) => w.field)).toEqual(['question.optionsSuffix']);
    expect(warningsOf('turns:', 'question:\n  optionsSuffix: " Pick from ${options}."\nturns:')).toEqual([]);
    expect(warningsOf(/$/, 'dataset:\n  format: arc\n').map((w) => w.message)).toEqual([expect.stringMatching(/^arc tasks have options/)]);
    expect(warningsOf(/$/, 'dataset:\n  format: hotpot\n').map((w) => w.message)).toEqual([expect.stringMatching(/^unknown dataset format 'hotpot' \(known: .*hotpotqa/)]);
  });

  it('warns about thresholds the reward cannot reach or that filter nothing', () => {
    // λ1 = -0.6, λ2 = 1, 10 utterances: max 1 + 1 / 0.1 = 11, search floor -1 - 1 = -2, SFT floor -2 - 100.
    const at = (from: string, to: string) => warningsOf(from, to).map((w) => [w.field, w.line, w.message.split(',')[0]]);
    expect(at('sftThreshold: 0.5', 'sftThreshold: 99')).toEqual([['reward.sftThreshold', 20, '99 is above 11']]);
    expect(at('sftThreshold: 0.5', 'sftThreshold: -103')).toEqual([['reward.sftThreshold', 20, '-103 is below -102']]);
    expect(at('sftThreshold: 0.5', 'sftThreshold: -101')).toEqual([]);
    expect(at('pairThreshold: 0.4', 'pairThreshold: 11.5')).toEqual([['reward.pairThreshold', 21, '11.5 is above 11']]);
    expect(at('pairThreshold: 0.4', 'pairThreshold: -2.5')).toEqual([['reward.pairThreshold', 21, '-2.5 is below -2']]);
    expect(at('pairGap: 0.2', 'pairGap: 14')).toEqual([['reward.pairGap', 22, '14 is more than 13']]);
    expect(at('pairGap: 0.2', 'pairGap: 12')).toEqual([]);
  });
});

describe('the reward range the threshold warnings use', () => {
  const scenario = parseScenarioText(BASE.replace('maxUtterances: 10', 'maxUtterances: 4'), 'my.yaml');
  const agentNames = ['Alice', 'Bob'];
  const utterance = fc.array(fc.constantFrom('Alice: ', 'Bob: ', 'x', 'the answer <A>1</A> ', '\n'), { maxLength: 6 }).map((parts) => parts.join(''));

  /** Any dialogue the engine can score within the range's premises: CE at or above the floor, no longer than M unless it overflowed. */
  const dialogue = fc.record({
    utterances: fc.array(utterance, { maxLength: scenario.turns.maxUtterances }),
    correct: fc.double({ min: 0, max: 1, noNaN: true }),
    tokenCount: fc.integer({ min: 0, max: 3000 }),
    slack: fc.integer({ min: 0, max: 3000 }),
    large: fc.boolean(),
    ce: fc.double({ min: READABILITY_CE_FLOOR, max: 20, noNaN: true }),
    lambdaToken: fc.double({ min: -3, max: 0, noNaN: true }),
    lambdaLoss: fc.double({ min: 0, max: 3, noNaN: true }),
    path: fc.constantFrom<RewardPath>('sft', 'search'),
  });

  it('holds every total Optima\'s reward gives (engine/reward/reward.ts)', () => {
    fc.assert(
      fc.property(dialogue, (d) => {
        const weights = { ...scenario.reward, lambdaToken: d.lambdaToken, lambdaLoss: d.lambdaLoss };
        const range = rewardRange({ ...scenario, reward: weights });
        const { total } = optimaReward({
          utterances: d.utterances,
          agentNames,
          correct: d.correct,
          tokenCount: d.tokenCount,
          large: d.large,
          crossEntropies: d.utterances.map(() => d.ce),
          normalizer: d.tokenCount + d.slack,
          weights,
          maxTokens: scenario.turns.maxTokens,
          path: d.path,
        });
        expect(total).toBeLessThanOrEqual(range.max + 1e-9);
        expect(total).toBeGreaterThanOrEqual((d.path === 'sft' ? range.sftMin : range.searchMin) - 1e-9);
      }),
      { numRuns: 2000 },
    );
  });

  it('is reached at both ends', () => {
    const base = { agentNames, large: false, maxTokens: scenario.turns.maxTokens, normalizer: 100 } as const;
    const best = optimaReward({ ...base, utterances: ['Alice: a', 'Bob: b'], correct: 1, tokenCount: 100, crossEntropies: [0.1, 0.1], weights: { lambdaToken: 0, lambdaLoss: 1 }, path: 'search' });
    expect(best.total).toBeCloseTo(rewardRange({ ...scenario, reward: { ...scenario.reward, lambdaToken: 0 } }).max, 9);
    // Every utterance names its speaker twice (10 each, SFT path), the dialogue overflowed and is longer than maxTokens.
    const twice = Array.from({ length: 4 }, (_, i) => `Alice: ${i} Alice: again`);
    const worst = optimaReward({ ...base, utterances: twice, correct: 0, tokenCount: 2001, large: true, crossEntropies: [1, 1, 1, 1], weights: scenario.reward, path: 'sft' });
    expect(worst.total).toBe(rewardRange(scenario).sftMin);
    const lowest = optimaReward({ ...base, utterances: ['Alice: a'], correct: 0, tokenCount: 2001, normalizer: 2001, crossEntropies: [1], weights: { lambdaToken: -2, lambdaLoss: 1 }, path: 'search' });
    expect(lowest.total).toBe(rewardRange({ ...scenario, reward: { ...scenario.reward, lambdaToken: -2 } }).searchMin);
  });
});
