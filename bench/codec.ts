/**
 * msgpackr against JSON for what dits serialises: a 100,000-node tree record (engine/tree/codec.ts)
 * and the per-task outputs (engine/search/task-output.ts) that cross from a worker thread to
 * the main thread and go into the checkpoint. Medians over repeats of encode time, decode time
 * and size, and the ratios JSON / msgpackr as dits uses it.
 *
 *   node bin/run-ts.mjs bench/codec.ts [--nodes 100000] [--outputs 200] [--repeats 15]
 *
 * The trees are real: gsm8k tasks searched in process on the simulated model (optima, 8
 * selections x 3 rollouts, fixed normalizer 300), as a run searches them. The 100k-node tree is
 * those tasks' trees grafted under one root (each task's root children become children of the
 * shared root, in task order) until it holds --nodes nodes: realistic utterance texts, answers,
 * token counts, visits and values, the fan-out of a search near the root, one record. The
 * per-task outputs are the first --outputs tasks' outputs, built by searchedTask as the search
 * worker builds them (tree as msgpack bytes, preference pairs, SFT candidate, counts).
 *
 * Variants (encode: object -> bytes; decode: bytes -> object):
 *   msgpackr, as dits uses it   encodeTree / encodeTaskOutput: a Packr with records whose
 *                               structures travel in each buffer (self-describing)
 *   msgpackr, shared structures Packr({ structures: [] }): structures kept by encoder and decoder
 *                               (one instance here), not in the buffer
 *   msgpackr, plain maps        Packr({ useRecords: false }): keys in every object
 *   JSON                        JSON.stringify / JSON.parse on strings; size in UTF-8 bytes
 *   JSON, to/from UTF-8 bytes   the same with Buffer.from(string) / buffer.toString(): what a file
 *                               or a thread would carry
 * informative extra rows: the tree's numeric columns as typed arrays (Packr({ moreTypes: true })),
 * and v8.serialize (the structured clone a postMessage without encoding would do).
 * For the task outputs, JSON carries the tree bytes as base64 (JSON has no binary type).
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { deserialize, serialize, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Packr, unpack } from 'msgpackr';
import { searchTasks, type TaskSearchResult } from '../actors/coordinator-pool.ts';
import { prepareDialogue } from '../engine/dialogue/dialogue.ts';
import { optimaPolicy } from '../engine/search/policies/optima.ts';
import { decodeTaskOutput, encodeTaskOutput, searchedTask, type SearchedTask } from '../engine/search/task-output.ts';
import { DialogueScorer } from '../engine/dialogue/scoring.ts';
import { SimBackend } from '../engine/sim/backend.ts';
import { generateArithmeticTasks } from '../engine/sim/generate.ts';
import { createSimWorld } from '../engine/sim/world.ts';
import { encodeTree, treeRecord, type TreeRecord } from '../engine/tree/codec.ts';
import { ROOT, TreeStore } from '../engine/tree/store.ts';
import { resolveScenario } from '../scenarios/scenario-file.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100000' },
    outputs: { type: 'string', default: '200' },
    repeats: { type: 'string', default: '15' },
  },
});
const NODES = Number(values.nodes);
const OUTPUTS = Number(values.outputs);
const REPEATS = Number(values.repeats);
const NORMALIZER = 300;
const SEED = 0;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;


// ---- the data: trees and outputs of a real search ----------------------------------------------

/** Copies `src`'s nodes below its root under `dst`'s root, keeping texts, answers, tokens, visits, values, terminals. */
function graft(dst: TreeStore, src: TreeStore): void {
  const map = new Int32Array(src.size);
  map[ROOT] = ROOT;
  // Parents come before children: indices are handed out in creation order.
  for (let i = 1; i < src.size; i++) {
    const j = dst.addChild(map[src.parent[i] as number] as number, {
      speaker: src.speaker[i] as number,
      text: src.text[i] as string,
      answer: src.answer[i] as string,
      tokens: src.tokens[i] as number,
    });
    map[i] = j;
    dst.visits[j] = src.visits[i] as number;
    dst.valueSum[j] = src.valueSum[i] as number;
    dst.terminal[j] = src.terminal[i] as number;
  }
  dst.visits[ROOT] = (dst.visits[ROOT] as number) + (src.visits[ROOT] as number);
  dst.valueSum[ROOT] = (dst.valueSum[ROOT] as number) + (src.valueSum[ROOT] as number);
}

const { scenario } = resolveScenario('gsm8k');
const agentNames = scenario.agents.map((a) => a.name);
const benchStart = performance.now();
const searchStart = benchStart;
const world = createSimWorld(scenario, []);
const backend = new SimBackend(world);
const scorer = new DialogueScorer(scenario, backend);
const big = new TreeStore();
const bigSelected: number[] = [];
const outputs: SearchedTask[] = [];
let searched = 0;
// Generous: about 37 nodes a task; the search stops once the tree is full.
const tasks = generateArithmeticTasks(1, Math.max(OUTPUTS, Math.ceil(NODES / 10)));
const enough = new AbortController();
try {
  await searchTasks(tasks, {
    scenario,
    backend,
    scorer,
    policy: optimaPolicy(),
    seed: SEED,
    normalizer: NORMALIZER,
    concurrency: 8,
    prepare: (batch) => world.addTasks(batch),
    setupFor: (task) => prepareDialogue(scenario, task, SEED),
    signal: enough.signal,
    onResult: async (r: TaskSearchResult) => {
      searched++;
      const zero = { calls: 0, tokens: 0, scoringCalls: 0 };
      if (outputs.length < OUTPUTS) outputs.push({ ...(await searchedTask(r, { scenario, scorer, seed: SEED })), spent: { q: zero, influence: zero } });
      if (big.size < NODES) {
        const offset = big.size - 1;
        graft(big, r.tree);
        for (const s of r.selected) if (s !== ROOT) bigSelected.push(s + offset);
      }
      if (big.size >= NODES && outputs.length >= OUTPUTS) enough.abort();
    },
  });
} catch (e) {
  if (!enough.signal.aborted) throw e;
}
if (big.size < NODES) throw new Error(`only ${big.size} nodes from ${searched} tasks: raise the task count`);
const searchS = (performance.now() - searchStart) / 1000;
const record: TreeRecord = treeRecord('grafted', agentNames, big, bigSelected);

// ---- the measurement ---------------------------------------------------------------------------

interface Codec<T> {
  name: string;
  /** Bytes (or a string, measured in UTF-8 bytes) for one item. */
  encode: (x: T) => Uint8Array | string;
  decode: (b: Uint8Array | string) => unknown;
  informative?: boolean;
}

interface Figures {
  encodeMs: number;
  decodeMs: number;
  bytes: number;
}

const sizeOf = (b: Uint8Array | string) => (typeof b === 'string' ? Buffer.byteLength(b) : b.length);

/** Median over repeats of encoding, then decoding, every item (after two unmeasured rounds). */
function measure<T>(codec: Codec<T>, items: readonly T[]): Figures {
  const enc: number[] = [];
  const dec: number[] = [];
  let bytes = 0;
  for (let r = 0; r < REPEATS + 2; r++) {
    gc();
    const encoded: Array<Uint8Array | string> = new Array(items.length);
    let t = performance.now();
    // A msgpackr packer hands out views of its buffer, but never writes over one it handed out
    // (it starts a new buffer when full): the bytes can be kept as they are, uncopied.
    for (let i = 0; i < items.length; i++) encoded[i] = codec.encode(items[i] as T);
    const e = performance.now() - t;
    gc();
    t = performance.now();
    for (let i = 0; i < items.length; i++) codec.decode(encoded[i] as Uint8Array | string);
    const d = performance.now() - t;
    if (r >= 2) {
      enc.push(e);
      dec.push(d);
    }
    bytes = encoded.reduce((s, b) => s + sizeOf(b), 0);
  }
  return { encodeMs: median(enc), decodeMs: median(dec), bytes };
}

function verify<T>(codec: Codec<T>, item: T, expected: unknown): void {
  const b = codec.encode(item);
  const back = codec.decode(typeof b === 'string' ? b : Uint8Array.prototype.slice.call(b));
  // Buffers have turned into { type: 'Buffer', data } (their toJSON) before the replacer sees them.
  const bytesOf = (v: unknown) =>
    ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' ? (v as { data: number[] }).data : v;
  const norm = (x: unknown) => JSON.stringify(x, (_k, v: unknown) => bytesOf(v));
  const a = norm(back);
  const e = norm(expected);
  if (a !== e) {
    let i = 0;
    while (a[i] === e[i]) i++;
    throw new Error(`${codec.name}: does not round-trip (at ${i}: ${e.slice(Math.max(0, i - 80), i + 80)} | ${a.slice(Math.max(0, i - 80), i + 80)})`);
  }
}

function report(title: string, items: number, unit: string, rows: Array<[Codec<never>, Figures]>): void {
  const base = rows[0]?.[1] as Figures;
  const json = rows.find(([c]) => c.name === 'JSON')?.[1] as Figures;
  console.log(`\n${title}`);
  console.log(`  ${'variant'.padEnd(46)} ${`encode ${unit}`.padStart(14)} ${`decode ${unit}`.padStart(14)} ${'bytes'.padStart(13)}   vs msgpackr as used (time enc/dec, size)`);
  const per = (ms: number) => (unit === 'ms' ? ms.toFixed(2) : ((ms * 1000) / items).toFixed(1));
  for (const [c, f] of rows) {
    const bytes = unit === 'ms' ? f.bytes : Math.round(f.bytes / items);
    console.log(
      `  ${`${c.name}${c.informative ? ' (informative)' : ''}`.padEnd(46)} ${per(f.encodeMs).padStart(14)} ${per(f.decodeMs).padStart(14)} ${bytes.toLocaleString('en-US').padStart(13)}   ` +
        `x${(f.encodeMs / base.encodeMs).toFixed(2)} / x${(f.decodeMs / base.decodeMs).toFixed(2)}, x${(f.bytes / base.bytes).toFixed(2)}`,
    );
  }
  console.log(
    `  JSON / msgpackr as used: encode time x${(json.encodeMs / base.encodeMs).toFixed(2)}, decode time x${(json.decodeMs / base.decodeMs).toFixed(2)}, ` +
      `size x${(json.bytes / base.bytes).toFixed(2)}`,
  );
}

const cpu = cpus();
console.log(`codec bench: msgpackr vs JSON, median of ${REPEATS} repeats (after 2 warm-up rounds), GC before each timed pass`);
console.log(`machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), node ${process.version}, one core used`);
console.log(
  `data: ${searched} gsm8k tasks searched in process on the simulated model (optima 8x3) in ${searchS.toFixed(1)} s; ` +
    `tree = their trees grafted under one root: ${big.size.toLocaleString('en-US')} nodes, ` +
    `${Math.round(record.text.reduce((s, t) => s + t.length, 0) / big.size)} chars of utterance per node on average`,
);

// The tree record. The typed-array variant packs a record that already holds typed columns (the
// store's own arrays cut to size): converting the number[] columns is not part of its time.
const typedRecord = {
  ...record,
  parent: Int32Array.from(record.parent),
  speaker: Int8Array.from(record.speaker),
  visits: Int32Array.from(record.visits),
  valueSum: Float64Array.from(record.valueSum),
  tokens: Int32Array.from(record.tokens),
  terminal: Uint8Array.from(record.terminal),
} as unknown as TreeRecord;
const treeCodecs: Array<Codec<TreeRecord> & { input: TreeRecord }> = (() => {
  const shared = new Packr({ structures: [] });
  const maps = new Packr({ useRecords: false });
  const typed = new Packr({ moreTypes: true });
  return [
    // trees.msgpack is read with msgpackr's default unpacker (readTreeRecords): so here.
    { name: 'msgpackr, as dits uses it (encodeTree)', encode: encodeTree, decode: (b) => unpack(b as Uint8Array), input: record },
    { name: 'msgpackr, shared structures', encode: (r) => shared.pack(r), decode: (b) => shared.unpack(b as Uint8Array), input: record },
    { name: 'msgpackr, plain maps', encode: (r) => maps.pack(r), decode: (b) => maps.unpack(b as Uint8Array), input: record },
    { name: 'JSON', encode: (r) => JSON.stringify(r), decode: (s) => JSON.parse(s as string), input: record },
    { name: 'JSON, to/from UTF-8 bytes', encode: (r) => Buffer.from(JSON.stringify(r)), decode: (b) => JSON.parse((b as Buffer).toString()), input: record },
    { name: 'msgpackr, typed-array columns', encode: (r) => typed.pack(r), decode: (b) => typed.unpack(b as Uint8Array), informative: true, input: typedRecord },
    { name: 'v8.serialize', encode: (r) => serialize(r), decode: (b) => deserialize(b as Uint8Array), informative: true, input: record },
  ];
})();
for (const c of treeCodecs) verify(c, c.input, record);
const treeRows: Array<[Codec<never>, Figures]> = treeCodecs.map((c) => [c as Codec<never>, measure(c, [c.input])]);
report(`one tree record, ${big.size.toLocaleString('en-US')} nodes (times per record):`, 1, 'ms', treeRows);

// The per-task outputs.
const outputCodecs: Codec<SearchedTask>[] = (() => {
  const shared = new Packr({ structures: [], useRecords: true });
  const maps = new Packr({ useRecords: false });
  const toJson = (o: SearchedTask) => JSON.stringify({ ...o, tree: Buffer.from(o.tree.buffer, o.tree.byteOffset, o.tree.byteLength).toString('base64') });
  const fromJson = (s: string) => {
    const o = JSON.parse(s) as SearchedTask & { tree: string };
    return { ...o, tree: new Uint8Array(Buffer.from(o.tree, 'base64')) };
  };
  return [
    { name: 'msgpackr, as dits uses it (encodeTaskOutput)', encode: encodeTaskOutput, decode: (b) => decodeTaskOutput(b as Uint8Array) },
    { name: 'msgpackr, shared structures', encode: (o) => shared.pack(o), decode: (b) => shared.unpack(b as Uint8Array) },
    { name: 'msgpackr, plain maps', encode: (o) => maps.pack(o), decode: (b) => maps.unpack(b as Uint8Array) },
    { name: 'JSON', encode: toJson, decode: (s) => fromJson(s as string) },
    { name: 'JSON, to/from UTF-8 bytes', encode: (o) => Buffer.from(toJson(o)), decode: (b) => fromJson((b as Buffer).toString()) },
    { name: 'v8.serialize', encode: (o) => serialize(o), decode: (b) => deserialize(b as Uint8Array), informative: true },
  ];
})();
for (const c of outputCodecs) verify(c, outputs[0] as SearchedTask, outputs[0]);
const outputRows: Array<[Codec<never>, Figures]> = outputCodecs.map((c) => [c as Codec<never>, measure(c, outputs)]);
const meanNodes = outputs.reduce((s, o) => s + o.nodes, 0) / outputs.length;
const meanPairs = outputs.reduce((s, o) => s + o.pairs.length, 0) / outputs.length;
report(
  `per-task outputs of ${outputs.length} searched tasks (${meanNodes.toFixed(1)} nodes, ${meanPairs.toFixed(1)} pairs a task on average; times in µs per task, bytes per task; the tree inside is msgpack bytes in every variant, base64 in JSON):`,
  outputs.length,
  'µs',
  outputRows,
);
console.log(`\n(took ${((performance.now() - benchStart) / 1000).toFixed(0)} s, the search included)`);
