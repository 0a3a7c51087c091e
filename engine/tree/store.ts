/**
 * The search tree of one task as a struct of arrays (after DeepMind's mctx): node i's fields
 * live at index i of each array; children are linked through `firstChild`/`nextSibling` in the
 * order they were created. Append-only: nodes are never removed or moved, so an index, once
 * handed out, names the same node forever.
 *
 * Node 0 is the root. It holds no utterance: it stands for the system prompts (§2.3). A node at
 * depth d holds the d-th utterance of a dialogue; its speaker is the agent who said it.
 */

export const ROOT = 0;
export const NO_NODE = -1;
/** `speaker` of the root, which no agent speaks. */
export const NO_SPEAKER = -1;

export interface NodeInput {
  /** Agent index (in the scenario's agent order) of the utterance's speaker. */
  speaker: number;
  /** The utterance, `Name:` prefix included. */
  text: string;
  /** Its parsed answer ('' when none). */
  answer: string;
  /** Its length in model tokens. */
  tokens: number;
}

const INITIAL_CAPACITY = 32;

function grow<T extends Int32Array | Float64Array | Int8Array | Uint8Array>(a: T, capacity: number, fill?: number): T {
  const next = new (a.constructor as new (n: number) => T)(capacity);
  next.set(a);
  if (fill !== undefined) next.fill(fill, a.length);
  return next;
}

export class TreeStore {
  /** Number of nodes, root included. */
  size = 1;
  /** [N] parent index; NO_NODE for the root. */
  parent = new Int32Array(INITIAL_CAPACITY).fill(NO_NODE);
  /** [N] first child in creation order, or NO_NODE. */
  firstChild = new Int32Array(INITIAL_CAPACITY).fill(NO_NODE);
  /** [N] next sibling in creation order, or NO_NODE. */
  nextSibling = new Int32Array(INITIAL_CAPACITY).fill(NO_NODE);
  /** [N] last child, so appending a child is O(1). */
  lastChild = new Int32Array(INITIAL_CAPACITY).fill(NO_NODE);
  /** [N] number of children. */
  childCount = new Int32Array(INITIAL_CAPACITY);
  /** [N] depth: 0 for the root, d for the d-th utterance. */
  depth = new Int32Array(INITIAL_CAPACITY);
  /** [N] speaker agent index; NO_SPEAKER for the root. */
  speaker = new Int8Array(INITIAL_CAPACITY).fill(NO_SPEAKER);
  /** [N] rollouts backed up through the node. */
  visits = new Int32Array(INITIAL_CAPACITY);
  /** [N] sum of the rewards backed up through the node; value = valueSum / visits. */
  valueSum = new Float64Array(INITIAL_CAPACITY);
  /** [N] utterance tokens (0 for the root). */
  tokens = new Int32Array(INITIAL_CAPACITY);
  /** [N] 1 when some rollout ended at this node (agreement, overflow or the cap). */
  terminal = new Uint8Array(INITIAL_CAPACITY);
  /** [N] normalized influence of the pairs the node takes part in; NaN until probed. */
  influence = new Float64Array(INITIAL_CAPACITY).fill(Number.NaN);
  /** [N] utterance text ('' for the root). */
  text: string[] = [''];
  /** [N] parsed answer of the utterance. */
  answer: string[] = [''];

  private ensureCapacity(): void {
    const cap = this.parent.length;
    if (this.size < cap) return;
    const next = cap * 2;
    this.parent = grow(this.parent, next, NO_NODE);
    this.firstChild = grow(this.firstChild, next, NO_NODE);
    this.nextSibling = grow(this.nextSibling, next, NO_NODE);
    this.lastChild = grow(this.lastChild, next, NO_NODE);
    this.childCount = grow(this.childCount, next);
    this.depth = grow(this.depth, next);
    this.speaker = grow(this.speaker, next, NO_SPEAKER);
    this.visits = grow(this.visits, next);
    this.valueSum = grow(this.valueSum, next);
    this.tokens = grow(this.tokens, next);
    this.terminal = grow(this.terminal, next);
    this.influence = grow(this.influence, next, Number.NaN);
  }

  /** Appends a child of `parent` and returns its index. */
  addChild(parent: number, node: NodeInput): number {
    this.ensureCapacity();
    const i = this.size++;
    this.parent[i] = parent;
    this.depth[i] = (this.depth[parent] as number) + 1;
    this.speaker[i] = node.speaker;
    this.tokens[i] = node.tokens;
    this.text[i] = node.text;
    this.answer[i] = node.answer;
    const last = this.lastChild[parent] as number;
    if (last === NO_NODE) this.firstChild[parent] = i;
    else this.nextSibling[last] = i;
    this.lastChild[parent] = i;
    this.childCount[parent] = (this.childCount[parent] as number) + 1;
    return i;
  }

  /** Counts one rollout with reward `reward` at every node from `leaf` up to the root. */
  backup(leaf: number, reward: number): void {
    for (let n = leaf; n !== NO_NODE; n = this.parent[n] as number) {
      this.visits[n] = (this.visits[n] as number) + 1;
      this.valueSum[n] = (this.valueSum[n] as number) + reward;
    }
  }

  markTerminal(node: number): void {
    this.terminal[node] = 1;
  }

  /** Q of a node: the mean reward backed up through it (0 before any visit). */
  value(node: number): number {
    const v = this.visits[node] as number;
    return v === 0 ? 0 : (this.valueSum[node] as number) / v;
  }

  children(node: number): number[] {
    const out: number[] = [];
    for (let c = this.firstChild[node] as number; c !== NO_NODE; c = this.nextSibling[c] as number) out.push(c);
    return out;
  }

  /** Nodes from the root's first child down to `node` (empty for the root). */
  lineage(node: number): number[] {
    const out: number[] = [];
    for (let n = node; n !== ROOT && n !== NO_NODE; n = this.parent[n] as number) out.push(n);
    return out.reverse();
  }

  /** Child positions from the root to `node`: the node's address in provenance records. */
  path(node: number): number[] {
    return this.lineage(node).map((n) => this.children(this.parent[n] as number).indexOf(n));
  }
}
