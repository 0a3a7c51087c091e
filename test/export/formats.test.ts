/**
 * Each trainer format on a hand-built debate (GSM8K-style, Alice solver / Bob critic) and an IE
 * dialogue (HotpotQA-style), with the trained agent speaking first (Alice) and second (Bob):
 * exact rows, key order included, then schema acceptance and rejection.
 */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { ZodType } from 'zod';
import type { PreferencePair, SftExample } from '../../engine/base/examples.ts';
import { axolotlDpo, axolotlSft, axolotlYaml } from '../../engine/export/axolotl.ts';
import { handbookDpo, handbookSft } from '../../engine/export/alignment-handbook.ts';
import { llamaFactoryDatasetInfoFor, llamaFactoryDpo, llamaFactorySft } from '../../engine/export/llama-factory.ts';
import { openrlhfDpo, openrlhfSft } from '../../engine/export/openrlhf.ts';
import * as S from '../../engine/export/schemas.ts';
import { trlDpo, trlDpoImplicit, trlSftMessages, trlSftPromptCompletion } from '../../engine/export/trl.ts';
import { ExportError } from '../../engine/export/views.ts';

const SYS = {
  debateA: 'You are Alice, a solver. Question: What is 2+3? End with \\boxed{}.',
  debateB: 'You are Bob, a critic. Question: What is 2+3? Check Alice, do not give the answer.',
  ieA: 'You are Alice. Question: Where was the director of Red Dawn born? Information: Red Dawn (1984) was directed by John Milius.',
  ieB: 'You are Bob. Question: Where was the director of Red Dawn born? Information: John Milius was born in St. Louis.',
};
const D = ['Alice: 2+3 = \\boxed{5}', 'Bob: Check the carry.', 'Alice: No carry. \\boxed{5}'] as const;
const IE = ['Alice: director?', 'Bob: John Milius; born St. Louis', 'Alice: <A>St. Louis</A>', 'Bob: <A>St. Louis</A>'] as const;

const system = (content: string) => ({ role: 'system' as const, content });
const assistant = (content: string) => ({ role: 'assistant' as const, content });
const user = (content: string) => ({ role: 'user' as const, content });

function view(taskId: string, agent: string, sys: string, utterances: readonly string[]): SftExample {
  return {
    taskId,
    agent,
    messages: [system(sys), ...utterances.map(assistant)],
    trained: [false, ...utterances.map((u) => u.startsWith(`${agent}:`))],
    reward: 1.1,
  };
}

const sft = {
  debateAlice: view('gsm8k-1', 'Alice', SYS.debateA, D),
  debateBob: view('gsm8k-1', 'Bob', SYS.debateB, D),
  ieAlice: view('hotpot-7', 'Alice', SYS.ieA, IE),
  ieBob: view('hotpot-7', 'Bob', SYS.ieB, IE),
};

function pair(taskId: string, speaker: string, prompt: PreferencePair['prompt'], chosen: string, rejected: string): PreferencePair {
  return { taskId, nodePath: Array.from({ length: prompt.length - 1 }, () => 0), speaker, prompt, chosen, rejected, chosenValue: 0.9, rejectedValue: 0.3, gap: 0.6 };
}

const pairs = {
  /** Root node: Alice speaks first, nothing before her turn. */
  root: pair('gsm8k-1', 'Alice', [system(SYS.debateA)], D[0], 'Alice: \\boxed{6}'),
  /** Bob answers Alice's first turn. */
  debateBob: pair('gsm8k-1', 'Bob', [system(SYS.debateB), assistant(D[0])], D[1], 'Bob: Looks right.'),
  /** Alice's second IE turn. */
  ie: pair('hotpot-7', 'Alice', [system(SYS.ieA), assistant(IE[0]), assistant(IE[1])], IE[2], 'Alice: <A>Chicago</A>'),
};

/** Exact JSON, so key order counts. */
function expectJson(actual: unknown, expected: unknown): void {
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
}

function expectValid(schema: ZodType, row: unknown): void {
  const r = schema.safeParse(row);
  expect(r.success ? [] : r.error.issues).toEqual([]);
}

function expectRejected(schema: ZodType, row: unknown, message: RegExp): void {
  const r = schema.safeParse(row);
  expect(r.success).toBe(false);
  expect(JSON.stringify(r.error?.issues)).toMatch(message);
}

const allPairs = Object.values(pairs);
const allSft = Object.values(sft);

describe('TRL', () => {
  it('DPO at the root: the agent speaks first, so an opener user turn ends the prompt', () => {
    expectJson(trlDpo(pairs.root), {
      prompt: [system(SYS.debateA), user('')],
      chosen: [assistant(D[0])],
      rejected: [assistant('Alice: \\boxed{6}')],
    });
  });

  it('DPO deeper in an IE dialogue: the speaker keeps its own turns, the partner becomes the user', () => {
    expectJson(trlDpo(pairs.ie), {
      prompt: [system(SYS.ieA), user(''), assistant(IE[0]), user(IE[1])],
      chosen: [assistant(IE[2])],
      rejected: [assistant('Alice: <A>Chicago</A>')],
    });
  });

  it('DPO with an implicit prompt: whole conversations that differ in the last message', () => {
    expectJson(trlDpoImplicit(pairs.debateBob), {
      chosen: [system(SYS.debateB), user(D[0]), assistant(D[1])],
      rejected: [system(SYS.debateB), user(D[0]), assistant('Bob: Looks right.')],
    });
  });

  it('the opener can carry text, fixed or per task', () => {
    expectJson(trlDpo(pairs.root, 'Begin.').prompt, [system(SYS.debateA), user('Begin.')]);
    expectJson(trlDpo(pairs.root, (taskId) => `Task ${taskId}`).prompt, [system(SYS.debateA), user('Task gsm8k-1')]);
  });

  it('SFT messages: Bob speaks second; the turn after his last is dropped', () => {
    expectJson(trlSftMessages(sft.debateBob), { messages: [system(SYS.debateB), user(D[0]), assistant(D[1])] });
  });

  it('SFT prompt-completion: one row per trained turn', () => {
    expectJson(trlSftPromptCompletion(sft.ieAlice), [
      { prompt: [system(SYS.ieA), user('')], completion: [assistant(IE[0])] },
      { prompt: [system(SYS.ieA), user(''), assistant(IE[0]), user(IE[1])], completion: [assistant(IE[2])] },
    ]);
  });

  it('every row matches its schema', () => {
    for (const p of allPairs) {
      expectValid(S.trlDpoRow, trlDpo(p));
      expectValid(S.trlDpoImplicitRow, trlDpoImplicit(p));
    }
    for (const ex of allSft) {
      expectValid(S.trlSftMessagesRow, trlSftMessages(ex));
      for (const row of trlSftPromptCompletion(ex)) expectValid(S.trlSftPromptCompletionRow, row);
    }
  });

  it('schemas reject broken rows', () => {
    const dpo = trlDpo(pairs.ie);
    expectRejected(S.trlDpoRow, { ...dpo, prompt: [...dpo.prompt, assistant('Alice: x')] }, /last message must be a user turn/);
    expectRejected(S.trlDpoRow, { ...dpo, chosen: [user(IE[2])] }, /chosen/);
    expectRejected(S.trlDpoRow, { ...dpo, margin: 1 }, /Unrecognized key/);
    expectRejected(S.trlDpoRow, { ...dpo, prompt: [system(SYS.ieA), user('a'), user('b')] }, /must alternate/);
    expectRejected(S.trlSftMessagesRow, { messages: [user(D[0]), assistant(D[1])] }, /system prompt/);
    expectRejected(S.trlSftMessagesRow, { messages: [system(SYS.debateA), ...D.map(assistant)] }, /'user' is due/);
    const implicit = trlDpoImplicit(pairs.debateBob);
    expectRejected(S.trlDpoImplicitRow, { ...implicit, rejected: [system('other'), ...implicit.rejected.slice(1)] }, /share every message but the last/);
    expectRejected(S.trlSftPromptCompletionRow, { prompt: [system(SYS.ieA), user('')], completion: [assistant('a'), assistant('b')] }, /completion/);
  });
});

describe('alignment-handbook', () => {
  it("DPO as Optima writes it: whole conversations, every utterance an assistant turn, no prompt column", () => {
    expectJson(handbookDpo(pairs.ie), {
      chosen: [system(SYS.ieA), assistant(IE[0]), assistant(IE[1]), assistant(IE[2])],
      rejected: [system(SYS.ieA), assistant(IE[0]), assistant(IE[1]), assistant('Alice: <A>Chicago</A>')],
    });
    expectJson(handbookDpo(pairs.root), { chosen: [system(SYS.debateA), assistant(D[0])], rejected: [system(SYS.debateA), assistant('Alice: \\boxed{6}')] });
  });

  it('SFT as Optima writes it: the agent view, whole', () => {
    expectJson(handbookSft(sft.debateBob), { messages: [system(SYS.debateB), ...D.map(assistant)] });
  });

  it('the alternating style is available', () => {
    expectJson(handbookDpo(pairs.root, { roles: 'alternating' }), {
      chosen: [system(SYS.debateA), user(''), assistant(D[0])],
      rejected: [system(SYS.debateA), user(''), assistant('Alice: \\boxed{6}')],
    });
    expectJson(handbookSft(sft.ieBob, { roles: 'alternating' }), { messages: [system(SYS.ieB), user(IE[0]), assistant(IE[1]), user(IE[2]), assistant(IE[3])] });
  });

  it("refuses an SFT example whose trained flags disagree with the Name: prefixes Optima's mask relies on", () => {
    const wrong = { ...sft.debateAlice, trained: [false, true, true, true] };
    expect(() => handbookSft(wrong)).toThrow(ExportError);
    expect(() => handbookSft(wrong)).toThrow(/message 2 is trained but does not start with 'Alice:'/);
  });

  it('every row matches its schema, in both role styles', () => {
    for (const roles of ['optima', 'alternating'] as const) {
      for (const p of allPairs) expectValid(S.handbookDpoRow, handbookDpo(p, { roles }));
      for (const ex of allSft) expectValid(S.handbookSftRow, handbookSft(ex, { roles }));
    }
  });

  it('schemas reject broken rows', () => {
    const dpo = handbookDpo(pairs.ie);
    expectRejected(S.handbookDpoRow, { ...dpo, prompt: dpo.chosen.slice(0, -1) }, /Unrecognized key/);
    expectRejected(S.handbookDpoRow, { ...dpo, rejected: [...dpo.chosen.slice(0, -2), assistant('x')] }, /share every message but the last/);
    expectRejected(S.handbookDpoRow, { chosen: dpo.chosen.slice(1), rejected: dpo.rejected.slice(1) }, /system prompt/);
    expectRejected(S.handbookSftRow, { messages: [system(SYS.debateA), user(D[0]), user(D[1]), assistant(D[2])] }, /every utterance is an assistant turn.*or.*must alternate/);
  });
});

describe('OpenRLHF', () => {
  it('DPO: prompt / chosen / rejected message lists and margin = gap', () => {
    expectJson(openrlhfDpo(pairs.debateBob), {
      prompt: [system(SYS.debateB), user(D[0])],
      chosen: [assistant(D[1])],
      rejected: [assistant('Bob: Looks right.')],
      margin: 0.6,
    });
  });

  it('SFT: the whole agent view for --multiturn, ending with the agent (Bob speaks second and last)', () => {
    expectJson(openrlhfSft(sft.ieBob), { messages: [system(SYS.ieB), user(IE[0]), assistant(IE[1]), user(IE[2]), assistant(IE[3])] });
  });

  it('every row matches its schema', () => {
    for (const p of allPairs) expectValid(S.openrlhfDpoRow, openrlhfDpo(p));
    for (const ex of allSft) expectValid(S.openrlhfSftRow, openrlhfSft(ex));
  });

  it('schemas reject broken rows', () => {
    const dpo = openrlhfDpo(pairs.debateBob);
    expectRejected(S.openrlhfDpoRow, { ...dpo, chosen: assistant(D[1]) }, /chosen/);
    expectRejected(S.openrlhfDpoRow, { ...dpo, margin: '0.6' }, /margin/);
    expectRejected(S.openrlhfSftRow, { messages: [system(SYS.ieB), user(IE[0])] }, /last message must be an assistant turn/);
  });
});

describe('LLaMA-Factory', () => {
  it('ShareGPT preference: conversations end with a human turn, chosen/rejected are single gpt messages', () => {
    expectJson(llamaFactoryDpo(pairs.ie), {
      conversations: [
        { from: 'human', value: '' },
        { from: 'gpt', value: IE[0] },
        { from: 'human', value: IE[1] },
      ],
      chosen: { from: 'gpt', value: IE[2] },
      rejected: { from: 'gpt', value: 'Alice: <A>Chicago</A>' },
      system: SYS.ieA,
    });
  });

  it('ShareGPT SFT: Alice speaks first, so an opener human turn comes first; gpt turns are hers', () => {
    expectJson(llamaFactorySft(sft.debateAlice), {
      conversations: [
        { from: 'human', value: '' },
        { from: 'gpt', value: D[0] },
        { from: 'human', value: D[1] },
        { from: 'gpt', value: D[2] },
      ],
      system: SYS.debateA,
    });
  });

  it('dataset_info.json registers the four files', () => {
    const info = llamaFactoryDatasetInfoFor('dits');
    expect(Object.keys(info)).toEqual(['dits_dpo_train', 'dits_dpo_test', 'dits_sft_train', 'dits_sft_test']);
    expectJson(info.dits_dpo_train, {
      file_name: 'dpo_train.jsonl',
      formatting: 'sharegpt',
      ranking: true,
      columns: { messages: 'conversations', system: 'system', chosen: 'chosen', rejected: 'rejected' },
      tags: { role_tag: 'from', content_tag: 'value', user_tag: 'human', assistant_tag: 'gpt' },
    });
    expectJson(info.dits_sft_test, {
      file_name: 'sft_test.jsonl',
      formatting: 'sharegpt',
      ranking: false,
      columns: { messages: 'conversations', system: 'system' },
      tags: { role_tag: 'from', content_tag: 'value', user_tag: 'human', assistant_tag: 'gpt' },
    });
    expectValid(S.llamaFactoryDatasetInfo, info);
  });

  it('every row matches its schema', () => {
    for (const p of allPairs) expectValid(S.llamaFactoryDpoRow, llamaFactoryDpo(p));
    for (const ex of allSft) expectValid(S.llamaFactorySftRow, llamaFactorySft(ex));
  });

  it('schemas reject broken rows', () => {
    const dpo = llamaFactoryDpo(pairs.ie);
    expectRejected(S.llamaFactoryDpoRow, { ...dpo, conversations: dpo.conversations.slice(1) }, /human turns sit at odd positions/);
    expectRejected(S.llamaFactoryDpoRow, { ...dpo, conversations: dpo.conversations.slice(0, 2) }, /odd number of turns/);
    expectRejected(S.llamaFactoryDpoRow, { ...dpo, chosen: { from: 'human', value: 'x' } }, /chosen/);
    expectRejected(S.llamaFactoryDpoRow, { ...dpo, chosen: [dpo.chosen] }, /chosen/);
    const row = llamaFactorySft(sft.debateAlice);
    expectRejected(S.llamaFactorySftRow, { ...row, conversations: row.conversations.slice(0, 3) }, /even number of turns/);
    expectRejected(S.llamaFactorySftRow, { ...row, conversations: row.conversations.map((t) => ({ role: t.from, content: t.value })) }, /Unrecognized key/);
    const info = llamaFactoryDatasetInfoFor();
    expectRejected(S.llamaFactoryDatasetInfo, { x: { ...info.dits_dpo_train, columns: { messages: 'conversations', system: 'system' } } }, /ranking datasets only/);
    expectRejected(S.llamaFactoryDatasetInfo, { x: { ...info.dits_sft_train, formatting: 'alpaca' } }, /formatting/);
  });
});

describe('axolotl', () => {
  it('DPO chat_template.default: messages is the prompt, chosen/rejected single assistant message objects', () => {
    expectJson(axolotlDpo(pairs.root), {
      messages: [system(SYS.debateA), user('')],
      chosen: assistant(D[0]),
      rejected: assistant('Alice: \\boxed{6}'),
    });
    expectJson(axolotlDpo(pairs.root, { roles: 'optima' }).messages, [system(SYS.debateA)]);
  });

  it('SFT: train flags on the agent turns, with the Name: prefix left out of the loss', () => {
    expectJson(axolotlSft(sft.debateBob), {
      messages: [
        { role: 'system', content: SYS.debateB, train: false },
        { role: 'user', content: D[0], train: false },
        {
          role: 'assistant',
          content: D[1],
          train: true,
          train_detail: [
            { begin_offset: 0, end_offset: 3, train: false },
            { begin_offset: 4, end_offset: (D[1]).length - 1, train: true },
          ],
        },
      ],
    });
    expect((D[1]).slice(0, 4)).toBe('Bob:');
  });

  it("SFT in Optima's roles: every utterance assistant, the flags carry the mask", () => {
    expectJson(axolotlSft(sft.debateAlice, { roles: 'optima', maskNamePrefix: false }), {
      messages: [
        { role: 'system', content: SYS.debateA, train: false },
        { role: 'assistant', content: D[0], train: true },
        { role: 'assistant', content: D[1], train: false },
        { role: 'assistant', content: D[2], train: true },
      ],
    });
  });

  it('the YAML snippet holds an SFT and a DPO datasets block', () => {
    const [sftDoc, dpoDoc, ...rest] = parseAllDocuments(axolotlYaml()).map((d) => d.toJS());
    expect(rest).toEqual([]);
    expect(sftDoc.datasets).toEqual([
      {
        path: 'sft_train.jsonl',
        ds_type: 'json',
        data_files: ['sft_train.jsonl'],
        split: 'train',
        type: 'chat_template',
        field_messages: 'messages',
        message_property_mappings: { role: 'role', content: 'content' },
        roles_to_train: [],
        train_on_eos: 'turn',
        message_field_training: 'train',
        message_field_training_detail: 'train_detail',
      },
    ]);
    expect(sftDoc.test_datasets[0].path).toBe('sft_test.jsonl');
    expect(dpoDoc.rl).toBe('dpo');
    expect(dpoDoc.datasets[0]).toMatchObject({ path: 'dpo_train.jsonl', type: 'chat_template.default', field_messages: 'messages', field_chosen: 'chosen', field_rejected: 'rejected' });
    expect(dpoDoc.test_datasets[0].path).toBe('dpo_test.jsonl');
    expect(parseAllDocuments(axolotlYaml(false))[0]?.toJS().datasets[0]).not.toHaveProperty('message_field_training_detail');
  });

  it('every row matches its schema, in both role styles', () => {
    for (const roles of ['optima', 'alternating'] as const) {
      for (const p of allPairs) expectValid(S.axolotlDpoRow, axolotlDpo(p, { roles }));
      for (const ex of allSft) expectValid(S.axolotlSftRow, axolotlSft(ex, { roles }));
    }
  });

  it('schemas reject broken rows', () => {
    const dpo = axolotlDpo(pairs.ie);
    expectRejected(S.axolotlDpoRow, { ...dpo, chosen: [dpo.chosen] }, /chosen/);
    expectRejected(S.axolotlDpoRow, { ...dpo, messages: [...dpo.messages, assistant('Alice: x')] }, /must be a user turn/);
    const row = axolotlSft(sft.debateBob);
    const [sys, partner, own] = row.messages as [(typeof row.messages)[number], (typeof row.messages)[number], (typeof row.messages)[number]];
    expectRejected(S.axolotlSftRow, { messages: [sys, { ...partner, train: true }, own] }, /a user turn cannot be trained/);
    expectRejected(S.axolotlSftRow, { messages: [sys, partner, { ...own, train: false, train_detail: undefined }] }, /the last message must be trained/);
    expectRejected(S.axolotlSftRow, { messages: [sys, partner, { ...own, train_detail: [{ begin_offset: 0, end_offset: 99, train: true }] }] }, /outside the content/);
    expectRejected(S.axolotlSftRow, { messages: [sys, partner, { ...own, weight: 1 }] }, /Unrecognized key/);
  });
});

describe('input checks', () => {
  it('refuses a pair without a system prompt, or with a user turn in the prompt', () => {
    expect(() => trlDpo({ ...pairs.ie, prompt: pairs.ie.prompt.slice(1) })).toThrow(/first message must be the agent's system prompt/);
    expect(() => trlDpo({ ...pairs.ie, prompt: [system('s'), user('u')] })).toThrow(/message 1 has role 'user'/);
  });

  it('refuses SFT examples with mismatched flags, a trained system prompt, or nothing trained', () => {
    expect(() => trlSftMessages({ ...sft.ieBob, trained: [false, true] })).toThrow(/2 trained flags for 5 messages/);
    expect(() => trlSftMessages({ ...sft.ieBob, trained: [true, false, true, false, true] })).toThrow(/system prompt cannot be trained/);
    expect(() => trlSftMessages({ ...sft.ieBob, trained: [false, false, false, false, false] })).toThrow(/no turn of Bob is trained/);
  });
});
