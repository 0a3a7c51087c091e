/**
 * A search folder made by hand: `tasks` small trees in trees.msgpack and one pair per tree in
 * pairs.jsonl, as a search writes them (task order), so the report's bounds and pair lookup can
 * be tested on any number of tasks in milliseconds.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeTree, treeRecord } from '../../engine/tree/codec.ts';
import { TreeStore } from '../../engine/tree/store.ts';

export const AGENTS = ['Alice', 'Bob'];

/**
 * Task k's tree: root → Alice's opener (node 1) → Bob's two replies (nodes 2 and 3, the chosen
 * and the rejected side of the task's pair, split at node 1) → Alice's answer under node 2
 * (node 4). `utterance(k)` is Bob's chosen reply.
 */
export function handTree(k: number, utterance: (k: number) => string) {
  const t = new TreeStore();
  const opener = t.addChild(0, { speaker: 0, text: `Alice: task ${k}, what do you know?`, answer: '', tokens: 8 });
  const good = t.addChild(opener, { speaker: 1, text: utterance(k), answer: '', tokens: 12 });
  const bad = t.addChild(opener, { speaker: 1, text: `Bob: I guess <A>nothing ${k}</A>`, answer: `nothing ${k}`, tokens: 6 });
  const answer = t.addChild(good, { speaker: 0, text: `Alice: <A>Paris ${k}</A>`, answer: `Paris ${k}`, tokens: 5 });
  t.backup(answer, 0.9);
  t.backup(answer, 0.7);
  t.backup(bad, -0.4);
  t.markTerminal(answer);
  t.markTerminal(bad);
  return { tree: t, good, bad };
}

/** Writes trees.msgpack and pairs.jsonl of `tasks` tasks into `dir`. */
export function writeHandFolder(dir: string, tasks: number, utterance: (k: number) => string = (k) => `Bob: I know fact ${k}.`): void {
  mkdirSync(dir, { recursive: true });
  const trees: Uint8Array[] = [];
  const pairs: string[] = [];
  for (let k = 0; k < tasks; k++) {
    const { tree, good, bad } = handTree(k, utterance);
    trees.push(encodeTree(treeRecord(`task-${k}`, AGENTS, tree, [0, 1])));
    pairs.push(
      JSON.stringify({ task_id: `task-${k}`, node_path: [0], speaker: 'Bob', chosen_value: tree.value(good), rejected_value: tree.value(bad), gap: tree.value(good) - tree.value(bad), prompt: [], chosen: tree.text[good], rejected: tree.text[bad] }),
    );
  }
  writeFileSync(join(dir, 'trees.msgpack'), Buffer.concat(trees));
  writeFileSync(join(dir, 'pairs.jsonl'), `${pairs.join('\n')}\n`);
}

/** The summary.json figures of such a folder. */
export function handSummary(tasks: number) {
  return { tasks, failedTasks: 0, rollouts: 3 * tasks, nodes: 5 * tasks, pairs: tasks, sftExamples: tasks, normalizer: 100, meanRootValue: 0.4, stoppedByBudget: false };
}

export const HAND_POLICY = { name: 'optima', params: { topK: 10, filter: 0.25 }, selections: 8, rollouts: 3, temperature: 0.7 };

export const NO_DATASETS = { split: { dpo: { train: 0, test: 0 }, sft: { train: 0, test: 0 } }, files: {} };

/** The JSON the page embeds for its viewer. */
export function embeddedData(html: string): unknown {
  const m = /<script type="application\/json" id="dits-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('no embedded data in the page');
  return JSON.parse(m[1] as string);
}
