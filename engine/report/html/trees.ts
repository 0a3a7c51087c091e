/**
 * Search trees for the report: the first trees of a folder's `trees.msgpack` (read as a
 * stream, so a search of many thousand tasks is never loaded whole), each with its preference
 * pairs located in the tree, as the viewer draws them.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { UnpackrStream } from 'msgpackr';
import type { TreeRecord } from '../../tree/codec.ts';
import type { ViewPair, ViewTree } from './model.ts';
import { childLists } from './tree-shape.ts';

/** Trees one report embeds at most: beyond that a page grows by megabytes and gains little. */
export const MAX_TREES = 50;

/** The first `n` tree records of a trees.msgpack file, in task order. */
export async function readFirstTrees(file: string, n: number): Promise<TreeRecord[]> {
  const out: TreeRecord[] = [];
  if (n <= 0) return out;
  const input = createReadStream(file);
  const records = input.pipe(new UnpackrStream());
  try {
    for await (const r of records) {
      out.push(r as TreeRecord);
      if (out.length >= n) break;
    }
  } finally {
    input.destroy();
    records.destroy();
  }
  return out;
}

/** A line of pairs.jsonl, the fields the report reads. */
export interface PairLine {
  task_id: string;
  node_path: number[];
  chosen: string;
  rejected: string;
  chosen_value: number;
  rejected_value: number;
}

/**
 * The pairs of the given tasks with their line index in pairs.jsonl. A search writes pairs in
 * task order, so the pairs of the folder's first trees are the file's first lines: reading
 * stops at the first line of another task.
 */
export async function readPairsOf(file: string, taskIds: ReadonlySet<string>): Promise<{ index: number; pair: PairLine }[]> {
  const out: { index: number; pair: PairLine }[] = [];
  if (taskIds.size === 0) return out;
  const input = createReadStream(file);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let index = 0;
  try {
    for await (const line of lines) {
      if (!line) continue;
      const pair = JSON.parse(line) as PairLine;
      if (!taskIds.has(pair.task_id)) break;
      out.push({ index: index++, pair });
    }
  } finally {
    lines.close();
    input.destroy();
  }
  return out;
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** Per-pair facts the caller knows (a run: influence and whether selection kept it). */
export interface PairFacts {
  influence: number | null;
  fate: string;
}

/**
 * The viewer's form of one tree. Each pair is found by its node path (child positions from the
 * root) and its two sides by their text among that node's children; a pair that does not fit
 * the tree means the folder's files disagree, and is an error.
 */
export function viewTree(r: TreeRecord, source: string, pairs: readonly { pair: PairLine; facts: PairFacts }[]): ViewTree {
  const children = childLists(r.parent);
  const q = r.visits.map((v, i) => (v === 0 ? 0 : round4((r.valueSum[i] as number) / v)));
  const located: ViewPair[] = pairs.map(({ pair, facts }) => {
    let node = 0;
    for (const k of pair.node_path) {
      const next = children[node]?.[k];
      if (next === undefined) throw new Error(`pair of task ${r.taskId} at node path [${pair.node_path.join(',')}]: no such node in its tree`);
      node = next;
    }
    const side = (text: string, what: string) => {
      const found = (children[node] as number[]).find((c) => r.text[c] === text);
      if (found === undefined) throw new Error(`pair of task ${r.taskId} at node path [${pair.node_path.join(',')}]: its ${what} utterance is not a child of that node`);
      return found;
    };
    return {
      node,
      chosen: side(pair.chosen, 'chosen'),
      rejected: side(pair.rejected, 'rejected'),
      chosenValue: round4(pair.chosen_value),
      rejectedValue: round4(pair.rejected_value),
      influence: facts.influence === null ? null : round4(facts.influence),
      fate: facts.fate,
    };
  });
  return {
    source,
    taskId: r.taskId,
    agents: r.agents,
    parent: r.parent,
    speaker: r.speaker,
    visits: r.visits,
    q,
    tokens: r.tokens,
    terminal: r.terminal,
    text: r.text,
    answer: r.answer,
    pairs: located,
  };
}

const NO_FACTS: PairFacts = { influence: null, fate: '' };

/**
 * The first `limit` trees of a search folder (`trees.msgpack` and `pairs.jsonl`), labelled
 * `source`; `factsOf` gives what is known of the pair on line i of pairs.jsonl.
 */
export async function folderTrees(dir: string, o: { source: string; limit: number; factsOf?: (line: number) => PairFacts }): Promise<ViewTree[]> {
  const records = await readFirstTrees(join(dir, 'trees.msgpack'), o.limit);
  const byTask = new Map<string, { pair: PairLine; facts: PairFacts }[]>();
  for (const { index, pair } of await readPairsOf(join(dir, 'pairs.jsonl'), new Set(records.map((r) => r.taskId)))) {
    const list = byTask.get(pair.task_id) ?? [];
    list.push({ pair, facts: o.factsOf?.(index) ?? NO_FACTS });
    byTask.set(pair.task_id, list);
  }
  return records.map((r) => viewTree(r, o.source, byTask.get(r.taskId) ?? []));
}
