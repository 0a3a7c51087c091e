import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Spill } from '../../engine/storage/spill.ts';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import type { Task } from '../../scenarios/task.ts';
import type { Dialogue } from '../../engine/dialogue/dialogue.ts';
import { DialogueScorer } from '../../engine/dialogue/scoring.ts';
import { agentViews, buildSftExamples, defaultSftSelection, selectedSftSource, selectSftExamples, speakingAgents, type SftCandidate, type TaskSamples } from '../../engine/dialogue/sft-selection.ts';

const gsm8k = resolveScenario('gsm8k').scenario;
// Every utterance scores CE 1, so ppl_score = λ2 = 0.9 and rewards differ only by correctness and tokens.
const scorer = new DialogueScorer(gsm8k, { logLikelihood: async (_m, text) => ({ logprob: -text.length, tokens: text.length }) });

function dialogue(answer: string, tokens: number): Dialogue {
  return {
    utterances: [
      { speaker: 'Alice', text: `Alice: \\boxed{${answer}}`, answer, tokens: tokens - 5 },
      { speaker: 'Bob', text: `Bob: agreed \\boxed{${answer}}`, answer, tokens: 5 },
    ],
    termination: 'agreement',
    finalAnswer: answer,
    tokenCount: tokens,
  };
}

function task(id: string, gold: string): Task {
  return { id, dataset: 'gsm8k', question: `q ${id}`, answers: [gold], context: [], meta: {} };
}

async function samples(t: Task, dialogues: Dialogue[]): Promise<TaskSamples> {
  return {
    task: t,
    systemPrompts: ['SYS-A', 'SYS-B'],
    samples: await Promise.all(dialogues.map(async (d) => ({ dialogue: d, scored: await scorer.score(t, d) }))),
  };
}

describe('SFT data (§2.2)', () => {
  it('takes each task\'s best sample, keeps the top 70% above the threshold, and gives one view per agent', async () => {
    const tasks = await Promise.all([
      samples(task('t0', '1'), [dialogue('2', 60), dialogue('1', 100)]), // best: correct, 100 tokens (M = 100): 1 - 0.4 + 0.9
      samples(task('t1', '1'), [dialogue('1', 50), dialogue('1', 100)]), // best: correct, 50 tokens: 1 - 0.2 + 0.9
      samples(task('t2', '1'), [dialogue('3', 50), dialogue('4', 100)]), // wrong: 0 - 0.2 + 0.9
      samples(task('t3', '1'), [dialogue('5', 80)]), // wrong, alone: 0 - 0.4 + 0.9
    ]);
    const examples = buildSftExamples(scorer, tasks, defaultSftSelection(gsm8k));
    // 4 ranked tasks -> top floor(2.8) = 2: t1 (1.7), t0 (1.5); both above θ_sft = 0.6.
    expect(examples.map((e) => `${e.taskId}/${e.agent}`)).toEqual(['t1/Alice', 't1/Bob', 't0/Alice', 't0/Bob']);
    expect(examples[0]?.reward).toBeCloseTo(1.7, 12);
    expect(examples[2]?.reward).toBeCloseTo(1.5, 12);
    expect(examples[0]?.messages[1]?.content).toBe('Alice: \\boxed{1}');
    expect(examples[0]?.messages[2]?.content).toBe('Bob: agreed \\boxed{1}');
  });

  it('drops tasks under the threshold even inside the kept slice', async () => {
    const tasks = await Promise.all([samples(task('t0', '1'), [dialogue('9', 50)]), samples(task('t1', '1'), [dialogue('8', 50)])]);
    expect(buildSftExamples(scorer, tasks, { keep: [0, 1], threshold: 0.55 })).toEqual([]); // 0 - 0.4 + 0.9 = 0.5 each
    expect(buildSftExamples(scorer, tasks, { keep: [0, 1], threshold: 0.45 })).toHaveLength(4);
  });

  it('MATH keeps the [10%, 80%) slice, as its scenario says', () => {
    expect(defaultSftSelection(resolveScenario('math').scenario).keep).toEqual([0.1, 0.8]);
    expect(defaultSftSelection(gsm8k)).toEqual({ keep: [0, 0.7], threshold: 0.6 });
    // The slice is the scenario's field, not its name: a MATH scenario named otherwise keeps what it says.
    const renamed = { ...resolveScenario('math').scenario, name: 'my-math' };
    expect(defaultSftSelection(renamed).keep).toEqual([0.1, 0.8]);
    expect(defaultSftSelection({ ...gsm8k, name: 'math', sft: { keep: [0.2, 0.9] } }).keep).toEqual([0.2, 0.9]);
  });

  it('trains only the named agent\'s turns in its view', () => {
    const [alice, bob] = agentViews('t', ['SYS-A', 'SYS-B'], gsm8k, dialogue('1', 20), 1);
    expect(alice?.messages[0]).toEqual({ role: 'system', content: 'SYS-A' });
    expect(alice?.trained).toEqual([false, true, false]);
    expect(bob?.messages[0]).toEqual({ role: 'system', content: 'SYS-B' });
    expect(bob?.trained).toEqual([false, false, true]);
  });

  it('gives no view to an agent that never spoke (a judge the others agreed without)', () => {
    const judge = { name: 'Judge', role: 'peer' as const, prompt: 'You are ${name}. ${question}' };
    const threeAgents = { ...gsm8k, agents: [...gsm8k.agents, judge] };
    const views = agentViews('t', ['SYS-A', 'SYS-B', 'SYS-J'], threeAgents, dialogue('1', 20), 1);
    expect(views.map((v) => v.agent)).toEqual(['Alice', 'Bob']);
    expect(views.every((v) => v.trained.includes(true))).toBe(true);
  });
});

describe('SFT candidates kept on disk', () => {
  // Every third dialogue ends on Alice's first turn, so Bob has no view of it.
  const aliceAlone = (d: Dialogue): Dialogue => ({ ...d, utterances: d.utterances.slice(0, 1) });
  const candidate = (i: number, reward: number): SftCandidate => {
    const d = dialogue(String(i), 20 + i);
    return { taskId: `t${i}`, systemPrompts: [`SYS-A ${i}`, `SYS-B ${i}`], dialogue: i % 3 === 0 ? aliceAlone(d) : d, reward };
  };

  it('give the examples selectSftExamples gives from them in memory, in the same order', () => {
    fc.assert(
      fc.property(
        // Few distinct rewards, so ties (broken by task order) are common.
        fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 40 }),
        fc.constantFrom<[number, number]>([0, 0.7], [0.1, 0.8], [0, 1]),
        fc.integer({ min: -3, max: 3 }),
        (rewards, keep, threshold) => {
          const candidates = rewards.map((r, i) => candidate(i, r / 2));
          const spill = new Spill<SftCandidate>(join(mkdtempSync(join(tmpdir(), 'dits-sft-')), 'sft.spill'));
          for (const c of candidates) spill.push(c);
          const selection = { keep, threshold: threshold / 2 };
          const source = selectedSftSource(gsm8k, spill, candidates.map((c) => c.reward), candidates.map((c) => speakingAgents(gsm8k, c.dialogue)), selection);
          const read = Array.from({ length: source.length }, (_, k) => source.get(k));
          spill.dispose();
          expect(read).toEqual(selectSftExamples(gsm8k, candidates, selection));
        },
      ),
      { numRuns: 60 },
    );
  });
});
