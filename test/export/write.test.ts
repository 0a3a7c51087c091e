import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PreferencePair, SftExample } from '../../engine/base/examples.ts';
import { exportFormat, ExportError, TRAINER_FORMATS, writeDatasets, type WriteDatasetsOptions } from '../../engine/export/index.ts';
import { Spill } from '../../engine/storage/spill.ts';
import { folderFiles } from '../cli/helpers.ts';
import { splitTrainTest } from '../../engine/export/split.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dits-export-test-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Every file under dir, relative path -> bytes. */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.set(relative(dir, join(entry.parentPath, entry.name)), readFileSync(join(entry.parentPath, entry.name)));
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

const NAMES = ['Alice', 'Bob'];
const utterance = (turn: number, task: number) => `${NAMES[turn % 2]}: task ${task} turn ${turn}`;

/** Pair i sits at depth i % 4 of task i, so some pairs are at the root. */
function makePair(i: number): PreferencePair {
  const depth = i % 4;
  const speaker = NAMES[depth % 2] as string;
  return {
    taskId: `task-${i}`,
    nodePath: Array.from({ length: depth }, () => 0),
    speaker,
    prompt: [{ role: 'system', content: `You are ${speaker}. Task ${i}.` }, ...Array.from({ length: depth }, (_, t) => ({ role: 'assistant' as const, content: utterance(t, i) }))],
    chosen: `${speaker}: good ${i}`,
    rejected: `${speaker}: bad ${i}`,
    chosenValue: 1,
    rejectedValue: 0.5,
    gap: 0.5,
  };
}

function makeSft(i: number): SftExample {
  const agent = NAMES[i % 2] as string;
  const turns = Array.from({ length: 3 + (i % 3) }, (_, t) => utterance(t, i));
  return {
    taskId: `task-${i >> 1}`,
    agent,
    messages: [{ role: 'system', content: `You are ${agent}.` }, ...turns.map((content) => ({ role: 'assistant' as const, content }))],
    trained: [false, ...turns.map((u) => u.startsWith(`${agent}:`))],
    reward: 1,
  };
}

const input = (over: Partial<WriteDatasetsOptions> = {}): WriteDatasetsOptions & { pairs: PreferencePair[]; sft: SftExample[] } => ({
  pairs: Array.from({ length: 20 }, (_, i) => makePair(i)),
  sft: Array.from({ length: 50 }, (_, i) => makeSft(i)),
  seed: 11,
  ...over,
}) as WriteDatasetsOptions & { pairs: PreferencePair[]; sft: SftExample[] };

const readJsonl = (file: string): unknown[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);

describe('writeDatasets', () => {
  it('writes every format folder with its four JSONL files, README and extras', async () => {
    const dir = tempDir();
    await writeDatasets(dir, input());
    const files = [...snapshot(dir).keys()];
    const jsonl = ['dpo_test.jsonl', 'dpo_train.jsonl', 'sft_test.jsonl', 'sft_train.jsonl'];
    const expected = TRAINER_FORMATS.flatMap((f) => [
      ...jsonl.map((j) => `${f}/${j}`),
      `${f}/README.md`,
      ...(f === 'llama-factory' ? [`${f}/dataset_info.json`] : []),
      ...(f === 'axolotl' ? [`${f}/axolotl.yaml`] : []),
    ]);
    expect(files).toEqual(expected.sort((a, b) => a.localeCompare(b)));
  });

  it('returns the split sizes (90/10 and 98/2) and the rows per file', async () => {
    const summary = await writeDatasets(tempDir(), input({ formats: ['trl', 'llama-factory'], options: { trl: { sft: 'prompt-completion' } } }));
    expect(summary.split).toEqual({ dpo: { train: 18, test: 2 }, sft: { train: 49, test: 1 } });
    expect(summary.files['llama-factory/dpo_train.jsonl']).toBe(18);
    expect(summary.files['llama-factory/sft_train.jsonl']).toBe(49);
    // prompt-completion writes one row per trained turn
    const sftSplit = splitTrainTest(input().sft, 0.02, 11, 'sft');
    const trainedTurns = sftSplit.train.reduce((n, ex) => n + ex.trained.filter(Boolean).length, 0);
    expect(summary.files['trl/sft_train.jsonl']).toBe(trainedTurns);
    expect(Object.keys(summary.files)).toEqual([
      'trl/dpo_train.jsonl',
      'trl/dpo_test.jsonl',
      'trl/sft_train.jsonl',
      'trl/sft_test.jsonl',
      'llama-factory/dpo_train.jsonl',
      'llama-factory/dpo_test.jsonl',
      'llama-factory/sft_train.jsonl',
      'llama-factory/sft_test.jsonl',
    ]);
  });

  it('is deterministic: the same inputs give byte-identical files, run after run and folder to folder', async () => {
    const a = tempDir();
    const b = tempDir();
    await writeDatasets(a, input());
    const first = snapshot(a);
    await writeDatasets(a, input());
    await writeDatasets(b, input());
    expect(snapshot(a)).toEqual(first);
    expect(snapshot(b)).toEqual(first);
    const c = tempDir();
    await writeDatasets(c, input({ seed: 12 }));
    expect(snapshot(c).get('trl/dpo_test.jsonl')).not.toEqual(first.get('trl/dpo_test.jsonl'));
  });

  it('rows follow the seeded split, or file order on request, and match their schemas', async () => {
    const dir = tempDir();
    const opts = input();
    await writeDatasets(dir, opts);
    const { test } = splitTrainTest(opts.pairs, 0.1, 11, 'dpo');
    const chosen = (rows: unknown[]) => rows.map((r) => (r as { chosen: { value: string } }).chosen.value);
    expect(chosen(readJsonl(join(dir, 'llama-factory/dpo_test.jsonl')))).toEqual(test.map((p) => p.chosen));

    const ordered = tempDir();
    await writeDatasets(ordered, input({ split: 'file-order', formats: ['llama-factory'] }));
    expect(chosen(readJsonl(join(ordered, 'llama-factory/dpo_test.jsonl')))).toEqual(['Alice: good 18', 'Bob: good 19']);

    for (const name of TRAINER_FORMATS) {
      const format = exportFormat(name);
      for (const kind of ['dpo', 'sft'] as const) {
        for (const side of ['train', 'test']) {
          for (const row of readJsonl(join(dir, name, `${kind}_${side}.jsonl`))) expect(format.schemas[kind].safeParse(row).success).toBe(true);
        }
      }
    }
    expect(JSON.parse(readFileSync(join(dir, 'llama-factory/dataset_info.json'), 'utf8'))).toHaveProperty('dits_sft_test.file_name', 'sft_test.jsonl');
  });

  it('writes nothing when a pair is malformed', async () => {
    const dir = tempDir();
    const bad = input();
    const pairs = bad.pairs.slice();
    pairs[3] = { ...(pairs[3] as PreferencePair), prompt: [] };
    await expect(writeDatasets(dir, { ...bad, pairs, split: 'file-order' })).rejects.toThrow(/first message must be the agent's system prompt/);
    expect(snapshot(dir).size).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writes nothing, and leaves earlier files alone, when a row fails its schema half-way', async () => {
    const dir = tempDir();
    await writeDatasets(dir, input());
    const before = snapshot(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const pairs = input().pairs.slice();
    // trl and alignment-handbook are written before OpenRLHF rejects its NaN margin.
    pairs[19] = { ...(pairs[19] as PreferencePair), gap: Number.NaN, chosen: 'Bob: changed' };
    const run = writeDatasets(dir, input({ pairs }));
    await expect(run).rejects.toThrow(ExportError);
    await expect(run).rejects.toThrow(/openrlhf dpo row \d+ does not match the openrlhf schema: margin/);
    const after = snapshot(dir);
    after.delete('notes.txt');
    expect(after).toEqual(before);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('refuses unknown or repeated formats', async () => {
    await expect(writeDatasets(tempDir(), input({ formats: ['trl', 'deepspeed-chat' as never] }))).rejects.toThrow(/unknown trainer format\(s\) deepspeed-chat/);
    await expect(writeDatasets(tempDir(), input({ formats: ['trl', 'trl'] }))).rejects.toThrow(/listed twice/);
  });
});

describe('pairs and SFT examples kept on disk', () => {
  it('an export from spills is byte-identical to one from the same pairs and examples in memory', async () => {
    const a = tempDir();
    const b = tempDir();
    const opts = input();
    await writeDatasets(a, opts);
    const pairs = new Spill<PreferencePair>(join(tempDir(), 'pairs.spill'));
    for (const p of opts.pairs) pairs.push(p);
    const sft = new Spill<SftExample>(join(tempDir(), 'sft.spill'));
    for (const e of opts.sft) sft.push(e);
    expect(pairs.get(7)).toEqual(opts.pairs[7]);
    expect(sft.get(49)).toEqual(opts.sft[49]);
    expect(() => sft.get(50)).toThrow(RangeError);
    await writeDatasets(b, { ...opts, pairs, sft });
    pairs.dispose();
    sft.dispose();
    expect(folderFiles(b)).toEqual(folderFiles(a));
  });
});
