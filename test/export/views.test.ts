/**
 * Agent views over random dialogues (two or three agents, any speaking order): in every format
 * only the agent's own turns are trained, and DPO prompts keep every utterance, in order, with
 * the speaker's turns as assistant and everyone else's as user.
 */
import { describe, expect, it } from 'vitest';
import { fc, test as propTest } from '@fast-check/vitest';
import type { ZodType } from 'zod';
import type { PreferencePair, SftExample } from '../../engine/base/examples.ts';
import type { ChatMessage } from '../../engine/base/model-backend.ts';
import { axolotlDpo, axolotlSft } from '../../engine/export/axolotl.ts';
import { handbookDpo, handbookSft } from '../../engine/export/alignment-handbook.ts';
import { llamaFactoryDpo, llamaFactorySft } from '../../engine/export/llama-factory.ts';
import { openrlhfDpo, openrlhfSft } from '../../engine/export/openrlhf.ts';
import * as S from '../../engine/export/schemas.ts';
import { trlDpo, trlDpoImplicit, trlSftMessages, trlSftPromptCompletion } from '../../engine/export/trl.ts';
import { MERGE_SEPARATOR, dpoPrompt, sftView } from '../../engine/export/views.ts';

const AGENTS = ['Alice', 'Bob', 'Carol'] as const;

/** Utterances `Name: text`, as dits writes them; texts never contain the merge separator. */
const dialogue = fc.array(
  fc.record({ speaker: fc.constantFrom(...AGENTS), text: fc.stringMatching(/^[a-z0-9 <>{}\\.]{0,12}$/) }).map((u) => `${u.speaker}: ${u.text}`),
  { minLength: 1, maxLength: 10 },
);

const system = (content: string): ChatMessage => ({ role: 'system', content });
const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });

function agentView(agent: string, utterances: readonly string[]): SftExample {
  return {
    taskId: 't',
    agent,
    messages: [system(`You are ${agent}.`), ...utterances.map(assistant)],
    trained: [false, ...utterances.map((u) => u.startsWith(`${agent}:`))],
    reward: 0,
  };
}

const isAssistant = (m: { role: string }) => m.role === 'assistant';

/** Per format: its rows for an example, their schema, and the texts its trainer puts the loss on. */
const SFT_FORMATS: Record<string, (ex: SftExample) => { rows: unknown[]; schema: ZodType; trained: string[] }> = {
  'trl messages': (ex) => {
    const row = trlSftMessages(ex);
    return { rows: [row], schema: S.trlSftMessagesRow, trained: row.messages.filter(isAssistant).map((m) => m.content) };
  },
  'trl prompt-completion': (ex) => {
    const rows = trlSftPromptCompletion(ex);
    return { rows, schema: S.trlSftPromptCompletionRow, trained: rows.map((r) => r.completion[0].content) };
  },
  // Optima's collator (thunlp/Optima alignment-handbook/mask/mask.py) trains the agent's Name:-prefixed turns.
  'alignment-handbook optima': (ex) => {
    const row = handbookSft(ex);
    return { rows: [row], schema: S.handbookSftRow, trained: row.messages.filter((m) => isAssistant(m) && m.content.startsWith(`${ex.agent}:`)).map((m) => m.content) };
  },
  'alignment-handbook alternating': (ex) => {
    const row = handbookSft(ex, { roles: 'alternating' });
    return { rows: [row], schema: S.handbookSftRow, trained: row.messages.filter(isAssistant).map((m) => m.content) };
  },
  openrlhf: (ex) => {
    const row = openrlhfSft(ex);
    return { rows: [row], schema: S.openrlhfSftRow, trained: row.messages.filter(isAssistant).map((m) => m.content) };
  },
  'llama-factory': (ex) => {
    const row = llamaFactorySft(ex);
    return { rows: [row], schema: S.llamaFactorySftRow, trained: row.conversations.filter((t) => t.from === 'gpt').map((t) => t.value) };
  },
  'axolotl alternating': (ex) => {
    const row = axolotlSft(ex);
    return { rows: [row], schema: S.axolotlSftRow, trained: row.messages.filter((m) => m.train).map((m) => m.content) };
  },
  'axolotl optima': (ex) => {
    const row = axolotlSft(ex, { roles: 'optima' });
    return { rows: [row], schema: S.axolotlSftRow, trained: row.messages.filter((m) => m.train).map((m) => m.content) };
  },
};

describe('SFT views: only the agent is trained', () => {
  propTest.prop([dialogue])('in every format, for every agent that speaks', (utterances) => {
    for (const agent of AGENTS) {
      const own = utterances.filter((u) => u.startsWith(`${agent}:`));
      if (own.length === 0) continue;
      const ex = agentView(agent, utterances);
      for (const [name, format] of Object.entries(SFT_FORMATS)) {
        const { rows, schema, trained } = format(ex);
        expect(trained, `${name}, ${agent}`).toEqual(own);
        for (const row of rows) expect(schema.safeParse(row).success, `${name}, ${agent}`).toBe(true);
      }
    }
  });

  propTest.prop([dialogue])("axolotl's train_detail trains exactly the text after the agent's Name: prefix", (utterances) => {
    const agent = (utterances[0] as string).split(':')[0] as string;
    for (const m of axolotlSft(agentView(agent, utterances)).messages) {
      if (!m.train) continue;
      const trainedSpans = (m.train_detail ?? []).filter((d) => d.train).map((d) => m.content.slice(d.begin_offset, d.end_offset + 1));
      const rest = m.content.slice(agent.length + 1);
      expect(trainedSpans).toEqual(rest === '' ? [] : [rest]);
    }
  });

  it('merges consecutive partner turns and puts an opener between two consecutive own turns', () => {
    const ex = agentView('Alice', ['Bob: b1', 'Carol: c1', 'Alice: a1', 'Alice: a2', 'Bob: b2']);
    expect(sftView(ex, 'alternating', '').messages).toEqual([
      system('You are Alice.'),
      { role: 'user', content: `Bob: b1${MERGE_SEPARATOR}Carol: c1` },
      assistant('Alice: a1'),
      { role: 'user', content: '' },
      assistant('Alice: a2'),
    ]);
    expect(sftView(ex, 'optima', '').messages).toEqual(ex.messages);
  });
});

/** Undoes the alternating view of a prompt: drops openers, splits merged user turns. */
function utterancesOf(prompt: readonly ChatMessage[]): string[] {
  return prompt.slice(1).flatMap((m) => (m.role === 'user' ? (m.content === '' ? [] : m.content.split(MERGE_SEPARATOR)) : [m.content]));
}

describe('DPO prompts', () => {
  propTest.prop([dialogue, fc.constantFrom(...AGENTS)])('keep every utterance in order, own turns assistant, ending with a user turn', (utterances, speaker) => {
    const pair: PreferencePair = {
      taskId: 't',
      nodePath: [],
      speaker,
      prompt: [system(`You are ${speaker}.`), ...utterances.map(assistant)],
      chosen: `${speaker}: good`,
      rejected: `${speaker}: bad`,
      chosenValue: 1,
      rejectedValue: 0,
      gap: 1,
    };
    const prompt = dpoPrompt(pair, 'alternating', '');
    expect(utterancesOf(prompt)).toEqual(utterances);
    expect(prompt[prompt.length - 1]?.role).toBe('user');
    for (const m of prompt.slice(1)) {
      if (m.role === 'assistant') expect(m.content.startsWith(`${speaker}:`)).toBe(true);
      else for (const u of m.content === '' ? [] : m.content.split(MERGE_SEPARATOR)) expect(u.startsWith(`${speaker}:`)).toBe(false);
    }
    expect(dpoPrompt(pair, 'optima', '')).toEqual(pair.prompt);

    const rows: [ZodType, unknown][] = [
      [S.trlDpoRow, trlDpo(pair)],
      [S.trlDpoImplicitRow, trlDpoImplicit(pair)],
      [S.handbookDpoRow, handbookDpo(pair)],
      [S.handbookDpoRow, handbookDpo(pair, { roles: 'alternating' })],
      [S.openrlhfDpoRow, openrlhfDpo(pair)],
      [S.llamaFactoryDpoRow, llamaFactoryDpo(pair)],
      [S.axolotlDpoRow, axolotlDpo(pair)],
      [S.axolotlDpoRow, axolotlDpo(pair, { roles: 'optima' })],
    ];
    for (const [schema, row] of rows) expect(schema.safeParse(row).success).toBe(true);
  });
});
