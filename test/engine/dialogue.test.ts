import { describe, expect, it } from 'vitest';
import { ERROR, LARGE, isAgreement, runDialogue, type Utterance } from '../../engine/dialogue/dialogue.ts';
import type { Completion, ModelBackend, SampleRequest } from '../../engine/base/model-backend.ts';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import type { Task } from '../../scenarios/task.ts';

const gsm8k = resolveScenario('gsm8k').scenario;
const task: Task = { id: 't1', dataset: 'gsm8k', question: 'What is 2+3?', answers: ['5'], context: [], meta: {} };

/** Replies from a script, in turn order, and records every request. */
function scripted(lines: (string | Completion)[]) {
  const requests: SampleRequest[] = [];
  const backend: ModelBackend = {
    name: 'scripted',
    async sample(req) {
      requests.push(req);
      const line = lines[requests.length - 1] ?? 'Bob: hmm';
      return [typeof line === 'string' ? { text: line, tokens: line.split(' ').length, finishReason: 'stop' } : line];
    },
    async logLikelihood() {
      return { logprob: -1, tokens: 1 };
    },
    countTokens: (t) => t.split(' ').length,
  };
  return { backend, requests };
}

const setup = { scenario: gsm8k, task, systemPrompts: ['SYS-A', 'SYS-B'] };

describe('runDialogue (§1.1)', () => {
  it('stops when a parsed answer repeats the previous parsed answer; answerless turns neither reset nor match', async () => {
    const { backend } = scripted(['Alice: \\boxed{5}', 'Bob: check the sum', 'Alice: yes \\boxed{5}', 'Bob: never']);
    const d = await runDialogue(setup, backend, { seedKey: [1, 't1'], temperature: 0.7, mode: 'generate' });
    expect(d.utterances.map((u) => u.answer)).toEqual(['5', '', '5']);
    expect(d.termination).toBe('agreement');
    expect(d.finalAnswer).toBe('5');
  });

  it('with a decider, ends only on the decider\'s stated answer: two others agreeing does not end it', async () => {
    const judge = { name: 'Judge', role: 'peer' as const, prompt: 'You are ${name}. ${question}' };
    const scenario = { ...gsm8k, agents: [...gsm8k.agents, judge], turns: { ...gsm8k.turns, decider: 'Judge' } };
    const { backend } = scripted(['Alice: \\boxed{5}', 'Bob: \\boxed{5}', 'Judge: let me think', 'Alice: \\boxed{5}', 'Bob: yes', 'Judge: \\boxed{4}']);
    const d = await runDialogue({ scenario, task, systemPrompts: ['SYS-A', 'SYS-B', 'SYS-J'] }, backend, { seedKey: [1], temperature: 0.7, mode: 'generate' });
    expect(d.utterances.map((u) => u.speaker)).toEqual(['Alice', 'Bob', 'Judge', 'Alice', 'Bob', 'Judge']);
    expect(d.termination).toBe('decision');
    expect(d.finalAnswer).toBe('4');
  });

  it('does not stop when the answer changes', async () => {
    const { backend } = scripted(['Alice: \\boxed{4}', 'Bob: \\boxed{5}', 'Alice: \\boxed{5}']);
    const d = await runDialogue(setup, backend, { seedKey: [1], temperature: 0, mode: 'generate' });
    expect(d.utterances).toHaveLength(3);
    expect(d.finalAnswer).toBe('5');
  });

  it('sends each agent its own system prompt and every utterance as an assistant turn, alternating speakers', async () => {
    const { backend, requests } = scripted(['Alice: a', 'Bob: b', 'Alice: c']);
    await runDialogue({ ...setup, scenario: { ...gsm8k, turns: { ...gsm8k.turns, maxUtterances: 3 } } }, backend, { seedKey: [1], temperature: 0.7, mode: 'generate' });
    expect(requests.map((r) => r.speaker)).toEqual(['Alice', 'Bob', 'Alice']);
    expect(requests[2]?.messages).toEqual([
      { role: 'system', content: 'SYS-A' },
      { role: 'assistant', content: 'Alice: a' },
      { role: 'assistant', content: 'Bob: b' },
    ]);
    expect(requests[1]?.messages[0]).toEqual({ role: 'system', content: 'SYS-B' });
  });

  it('keys every turn\'s seed by the dialogue key and the turn index', async () => {
    const a = scripted([]);
    const b = scripted([]);
    const c = scripted([]);
    const short = { ...setup, scenario: { ...gsm8k, turns: { ...gsm8k.turns, maxUtterances: 3 } } };
    await runDialogue(short, a.backend, { seedKey: [7, 't1'], temperature: 0.7, mode: 'generate' });
    await runDialogue(short, b.backend, { seedKey: [7, 't1'], temperature: 0.7, mode: 'generate' });
    await runDialogue(short, c.backend, { seedKey: [8, 't1'], temperature: 0.7, mode: 'generate' });
    const seeds = (r: SampleRequest[]) => r.map((x) => x.seed);
    expect(seeds(a.requests)).toEqual(seeds(b.requests));
    expect(new Set(seeds(a.requests)).size).toBe(3);
    expect(seeds(c.requests)).not.toEqual(seeds(a.requests));
  });

  it('at the cap keeps the last answer when generating, and gives the error sentinel in a rollout', async () => {
    const lines = ['Alice: \\boxed{1}', 'Bob: no', 'Alice: \\boxed{2}', 'Bob: no'];
    const capped = { ...setup, scenario: { ...gsm8k, turns: { ...gsm8k.turns, maxUtterances: 4 } } };
    const gen = await runDialogue(capped, scripted(lines).backend, { seedKey: [1], temperature: 0.7, mode: 'generate' });
    expect(gen).toMatchObject({ termination: 'cap', finalAnswer: '2' });
    const roll = await runDialogue(capped, scripted(lines).backend, { seedKey: [1], temperature: 0.7, mode: 'rollout' });
    expect(roll).toMatchObject({ termination: 'cap', finalAnswer: ERROR });
  });

  it('replaces a reply that overflows its token limit with the large sentinel and stops', async () => {
    const { backend } = scripted([{ text: 'Alice: very long', tokens: 2000, finishReason: 'length' }]);
    const d = await runDialogue(setup, backend, { seedKey: [1], temperature: 0.7, mode: 'generate' });
    expect(d).toMatchObject({ termination: 'overflow', finalAnswer: LARGE, tokenCount: 1 });
    expect(d.utterances).toEqual([{ speaker: 'Alice', text: LARGE, answer: '', tokens: 1 }]);
  });

  it('adds the speaker\'s name when the model leaves it out, and continues from a history', async () => {
    const { backend } = scripted(['\\boxed{5}']);
    const history: Utterance[] = [{ speaker: 'Alice', text: 'Alice: \\boxed{5}', answer: '5', tokens: 3 }];
    const d = await runDialogue(setup, backend, { seedKey: [1], temperature: 0.7, mode: 'rollout', history });
    expect(d.utterances[1]).toMatchObject({ speaker: 'Bob', text: 'Bob: \\boxed{5}' });
    expect(d.termination).toBe('agreement');
  });

  it('isAgreement compares with the most recent parsed answer only', () => {
    const u = (answer: string): Utterance => ({ speaker: 'A', text: '', answer, tokens: 1 });
    expect(isAgreement([u('3'), u(''), u('4')], '3')).toBe(false);
    expect(isAgreement([u('3'), u('')], '3')).toBe(true);
    expect(isAgreement([u('3')], '')).toBe(false);
    expect(isAgreement([], '3')).toBe(false);
  });
});
