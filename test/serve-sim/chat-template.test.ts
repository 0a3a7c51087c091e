import llama3Tokenizer from 'llama3-tokenizer-js';
import { describe, expect, it } from 'vitest';
import { countTokens } from '../../engine/sim/tokcount.ts';
import {
  applyChatTemplate,
  BOS,
  BOS_ID,
  decodeIds,
  encodeIds,
  END_HEADER,
  EOT,
  EOT_ID,
  GENERATION_HEADER,
  parseTemplatedMessages,
  splitScoringPrompt,
  START_HEADER,
  templatedTokenCount,
} from '../../serve-sim/chat-template.ts';
import { llama3Encode } from '../../scenarios/tokens.ts';
import { debateFixture, dialogueTurns, ieFixture } from './helpers.ts';

const ie = ieFixture(6);
const debate = debateFixture(6);
const turns = [...dialogueTurns(ie, 0, 4), ...dialogueTurns(ie, 1, 3), ...dialogueTurns(debate, 0, 4)];

describe('llama3-tokenizer-js and the special-token markers', () => {
  it('encodes each marker as one special id and decodes it back', () => {
    const ids = { [BOS]: 128000, [START_HEADER]: 128006, [END_HEADER]: 128007, [EOT]: 128009 };
    for (const [marker, id] of Object.entries(ids)) {
      expect(llama3Encode(marker)).toEqual([id]);
      expect(encodeIds(marker)).toEqual([id]);
      expect(llama3Tokenizer.decode([id])).toBe(marker);
    }
    expect(BOS_ID).toBe(128000);
    expect(EOT_ID).toBe(128009);
    const header = encodeIds(GENERATION_HEADER);
    expect(header[0]).toBe(128006);
    expect(header[2]).toBe(128007);
    expect(decodeIds(header)).toBe(GENERATION_HEADER);
  });
});

describe('chat template', () => {
  it('writes the Llama-3 format, with a generation header or an open last message', () => {
    const m = [
      { role: 'system' as const, content: 'S' },
      { role: 'assistant' as const, content: 'Alice:' },
    ];
    expect(applyChatTemplate(m, { addGenerationPrompt: true })).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nAlice:<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    );
    expect(applyChatTemplate(m, { continueFinalMessage: true })).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nAlice:',
    );
    expect(applyChatTemplate([])).toBe(BOS);
  });

  it('ids equal the library on engine prompts, and decode back to the text', () => {
    for (const t of turns) {
      const text = applyChatTemplate(t.messages, { addGenerationPrompt: true }) + t.text;
      const ids = encodeIds(text);
      expect(ids).toEqual(llama3Encode(text));
      expect(decodeIds(ids)).toBe(text);
      expect(encodeIds(t.text, true)).toEqual([BOS_ID, ...llama3Encode(t.text)]);
    }
    for (const s of ['', ' ', 'a  b\n\n  c', "it's 12345 dollars!!\r\n", 'x<|y|>z<|eot_id|>', 'émigré 日本語 🎉']) expect(encodeIds(s)).toEqual(llama3Encode(s));
  });

  it('counts templated prompts without re-tokenising them', () => {
    for (const t of turns) {
      for (const opts of [{ addGenerationPrompt: true }, { addGenerationPrompt: false }, { continueFinalMessage: true }]) {
        const msgs = [...t.messages, { role: 'assistant' as const, content: `${t.speaker}:` }];
        expect(templatedTokenCount(msgs, opts)).toBe(countTokens(applyChatTemplate(msgs, opts)));
        expect(templatedTokenCount(msgs, opts)).toBe(llama3Encode(applyChatTemplate(msgs, opts)).length);
      }
    }
  });

  it('inverts: a scoring prompt splits into the messages and the scored text', () => {
    for (const t of turns) {
      const prefix = applyChatTemplate(t.messages, { addGenerationPrompt: true });
      expect(parseTemplatedMessages(applyChatTemplate(t.messages))).toEqual(t.messages);
      expect(splitScoringPrompt(prefix + t.text)).toEqual({ messages: t.messages, prefix, response: t.text });
      expect(splitScoringPrompt(BOS + t.text)).toEqual({ messages: [], prefix: BOS, response: t.text });
    }
    expect(splitScoringPrompt('no bos')).toBeNull();
    expect(splitScoringPrompt(`${BOS}${START_HEADER}wizard${END_HEADER}\n\nx${EOT}${GENERATION_HEADER}y`)).toBeNull();
  });
});
