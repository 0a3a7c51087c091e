import { describe, expect, it } from 'vitest';
import { NO_NODE, ROOT, TreeStore } from '../../engine/tree/store.ts';
import { insertRollout, mergeTarget } from '../../engine/tree/grow.ts';
import { mergeRatio, selectionRatio } from '../../engine/tree/edit.ts';
import { encodeTree, readTreeRecords, treeFromRecord, treeRecord } from '../../engine/tree/codec.ts';
import { treeAsDot, treeAsText } from '../../engine/tree/render.ts';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const u = (speaker: string, text: string, answer = '') => ({ speaker, text, answer, tokens: text.split(' ').length });
const idx = (name: string) => ['Alice', 'Bob'].indexOf(name);

function sample(): TreeStore {
  const t = new TreeStore();
  const a = insertRollout(t, ROOT, [u('Alice', 'Alice: the answer is 4'), u('Bob', 'Bob: agreed 4')], idx);
  t.backup(a.leaf, 1);
  const b = insertRollout(t, ROOT, [u('Alice', 'Alice: I would guess 5 here'), u('Bob', 'Bob: no, it is 4')], idx);
  t.backup(b.leaf, -0.5);
  return t;
}

describe('tree store', () => {
  it('links children in creation order and backs rewards up to the root', () => {
    const t = sample();
    expect(t.size).toBe(5);
    expect(t.children(ROOT)).toEqual([1, 3]);
    expect(t.children(1)).toEqual([2]);
    expect(t.visits[ROOT]).toBe(2);
    expect(t.value(ROOT)).toBeCloseTo(0.25, 12);
    expect(t.value(3)).toBe(-0.5);
    expect(t.depth[4]).toBe(2);
    expect(t.speaker[4]).toBe(1);
    expect(t.path(4)).toEqual([1, 0]);
    expect(t.lineage(4)).toEqual([3, 4]);
    expect(t.parent[ROOT]).toBe(NO_NODE);
    expect(t.terminal[2]).toBe(1);
  });

  it('grows past its initial capacity without losing fields', () => {
    const t = new TreeStore();
    let node = ROOT;
    for (let i = 0; i < 500; i++) node = t.addChild(node, { speaker: i % 2, text: `u${i}`, answer: '', tokens: i });
    t.backup(node, 2);
    expect(t.size).toBe(501);
    expect(t.tokens[500]).toBe(499);
    expect(t.text[250]).toBe('u249');
    expect(t.visits[1]).toBe(1);
    expect(Number.isNaN(t.influence[400] as number)).toBe(true);
  });

  it('merges an utterance into a sibling within the 0.1 edit ratio, and only then', () => {
    const t = new TreeStore();
    const first = t.addChild(ROOT, { speaker: 0, text: 'Alice: the answer is 12 apples', answer: '', tokens: 6 });
    expect(mergeTarget(t, ROOT, 'Alice: the answer is 12 apples.')).toBe(first);
    expect(mergeRatio('Alice: the answer is 12 apples.', 'Alice: the answer is 12 apples')).toBeLessThan(0.1);
    expect(mergeTarget(t, ROOT, 'Alice: the answer is 13 pears')).toBe(NO_NODE);
    const r = insertRollout(t, ROOT, [u('Alice', 'Alice: the answer is 12 apples!')], idx);
    expect(r).toEqual({ leaf: first, created: 0 });
  });

  it('measures selection distance on the longer text', () => {
    expect(selectionRatio('abcd', 'abcd')).toBe(0);
    expect(selectionRatio('ab', 'abcd')).toBeCloseTo(2 / 5, 12);
    expect(selectionRatio('abcd', 'ab')).toBeCloseTo(2 / 5, 12);
  });
});

describe('tree files and rendering', () => {
  it('round-trips trees through msgpack records, several per file', () => {
    const t = sample();
    const dir = mkdtempSync(join(tmpdir(), 'dits-tree-'));
    const file = join(dir, 'trees.msgpack');
    writeFileSync(file, Buffer.concat([encodeTree(treeRecord('t1', ['Alice', 'Bob'], t, [0, 1])), encodeTree(treeRecord('t2', ['Alice', 'Bob'], new TreeStore(), [0]))]));
    const records = readTreeRecords(file);
    expect(records.map((r) => r.taskId)).toEqual(['t1', 't2']);
    expect(records[0]?.selected).toEqual([0, 1]);
    const back = treeFromRecord(records[0]!);
    expect(treeRecord('t1', ['Alice', 'Bob'], back, [0, 1])).toEqual(records[0]);
  });

  it('renders indented text and DOT with Q and visits', () => {
    const text = treeAsText(sample(), { title: 'task t1' });
    expect(text).toContain('task t1  Q=0.250 N=2');
    expect(text).toContain('├─ [Q=1.000 N=1] Alice: the answer is 4');
    expect(text).toContain('   └─ [Q=-0.500 N=1 end] Bob: no, it is 4');
    const dot = treeAsDot(sample());
    expect(dot).toMatch(/^digraph "tree" \{/);
    expect(dot).toContain('n0 -> n1;');
    expect(dot).toContain('n3 -> n4;');
  });
});
