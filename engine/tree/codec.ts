/**
 * Trees on disk: one msgpack record per task (records mode: every record carries its own
 * structure, so any reader decodes it), written one after another into `trees.msgpack`.
 */
import { readFileSync } from 'node:fs';
import { Packr, unpackMultiple } from 'msgpackr';
import { TreeStore } from './store.ts';

/** The persisted form of one task's tree: the store's arrays cut to size. */
export interface TreeRecord {
  taskId: string;
  agents: string[];
  parent: number[];
  speaker: number[];
  visits: number[];
  valueSum: number[];
  tokens: number[];
  terminal: number[];
  text: string[];
  answer: string[];
  /** Nodes selected for expansion, in order. */
  selected: number[];
}

const packr = new Packr();

export function treeRecord(taskId: string, agents: readonly string[], tree: TreeStore, selected: readonly number[]): TreeRecord {
  const cut = (a: ArrayLike<number>) => Array.from({ length: tree.size }, (_, i) => a[i] as number);
  return {
    taskId,
    agents: [...agents],
    parent: cut(tree.parent),
    speaker: cut(tree.speaker),
    visits: cut(tree.visits),
    valueSum: cut(tree.valueSum),
    tokens: cut(tree.tokens),
    terminal: cut(tree.terminal),
    text: tree.text.slice(0, tree.size),
    answer: tree.answer.slice(0, tree.size),
    selected: [...selected],
  };
}

export function encodeTree(record: TreeRecord): Uint8Array {
  return packr.pack(record);
}

/** Rebuilds a store from its record: children come back in their creation order. */
export function treeFromRecord(r: TreeRecord): TreeStore {
  const tree = new TreeStore();
  for (let i = 1; i < r.parent.length; i++) {
    tree.addChild(r.parent[i] as number, { speaker: r.speaker[i] as number, text: r.text[i] as string, answer: r.answer[i] as string, tokens: r.tokens[i] as number });
  }
  for (let i = 0; i < r.parent.length; i++) {
    tree.visits[i] = r.visits[i] as number;
    tree.valueSum[i] = r.valueSum[i] as number;
    tree.terminal[i] = r.terminal[i] as number;
  }
  return tree;
}

/** Every record of a trees file; a search that searched no task (its budget spent first) wrote an empty one. */
export function readTreeRecords(file: string): TreeRecord[] {
  const bytes = readFileSync(file);
  return bytes.length === 0 ? [] : (unpackMultiple(bytes) as TreeRecord[]);
}
