/**
 * The tree viewer: one task's search tree at a time (a picker chooses among the embedded
 * ones), laid out left to right by d3-hierarchy's tidy tree. A click on a node opens or closes
 * its children and shows the node's details; nodes are coloured by Q, sized by visits, and the
 * chosen and rejected children of every preference pair are ringed. Utterances are model
 * output: they go into the page through text nodes only, never as markup.
 */
import { hierarchy, tree as tidyTree, type HierarchyPointNode } from 'd3-hierarchy';
import { scaleLinear, scaleSqrt } from 'd3-scale';
import { select, type Selection } from 'd3-selection';
import { linkHorizontal } from 'd3-shape';
import type { TreeSet, ViewPair, ViewTree } from '../model.ts';
import { childLists } from '../tree-shape.ts';

/** Vertical distance between sibling rows and horizontal distance between depths, in px. */
const ROW = 34;
const COLUMN = 230;
const MARGIN = 24;
/** Characters of an utterance in a node's label; the details panel has all of it. */
const LABEL_CHARS = 34;

const CHOSEN = '#1a7f37';
const REJECTED = '#cf222e';

// Rewards, and so Q, lie roughly in [-1, 1]: a fixed scale keeps colours comparable across trees.
const qColour = scaleLinear<string>().domain([-1, 0, 1]).range(['#d73027', '#fee08b', '#1a9850']).clamp(true);

/** What part a node plays in the tree's pairs. */
interface Roles {
  /** The pair whose paths split at this node. */
  split?: ViewPair;
  /** The pair (at the parent) of which this node is the chosen side. */
  chosen?: ViewPair;
  rejected?: ViewPair;
}

function rolesOf(t: ViewTree): Map<number, Roles> {
  const roles = new Map<number, Roles>();
  const at = (n: number) => {
    let r = roles.get(n);
    if (!r) roles.set(n, (r = {}));
    return r;
  };
  for (const p of t.pairs) {
    at(p.node).split = p;
    at(p.chosen).chosen = p;
    at(p.rejected).rejected = p;
  }
  return roles;
}

const oneLine = (s: string, n: number) => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length <= n ? flat : `${flat.slice(0, n - 1)}…`;
};

const fixed = (x: number | null, d = 3) => (x === null ? '–' : x.toFixed(d));

function treeLabel(t: ViewTree): string {
  const where = t.source ? `${t.source} · ` : '';
  return `${where}${t.taskId} (${t.parent.length} nodes, ${t.pairs.length} pairs)`;
}

/** Builds the viewer inside `host`: picker, buttons, the drawing and the details panel. */
export function mountTreeViewer(host: HTMLElement, set: TreeSet): void {
  const root = select(host);
  const controls = root.append('div').attr('class', 'tree-controls');
  const picker = controls.append('label').text('task ').append('select').attr('class', 'tree-picker');
  picker
    .selectAll('option')
    .data(set.trees)
    .join('option')
    .attr('value', (_, i) => String(i))
    .text((t) => treeLabel(t));
  const expandAll = controls.append('button').attr('type', 'button').text('expand all');
  const collapseAll = controls.append('button').attr('type', 'button').text('collapse all');
  const body = root.append('div').attr('class', 'tree-body');
  const canvas = body.append('div').attr('class', 'tree-canvas');
  const details = body.append('aside').attr('class', 'tree-details');

  let view: TreeView | undefined;
  const show = (i: number) => {
    view = new TreeView(set.trees[i] as ViewTree, canvas, details);
  };
  picker.on('change', (e: Event) => show(Number((e.target as HTMLSelectElement).value)));
  expandAll.on('click', () => view?.expandAll());
  collapseAll.on('click', () => view?.collapseAll());
  if (set.trees.length > 0) show(0);
}

class TreeView {
  private readonly children: number[][];
  private readonly roles: Map<number, Roles>;
  /** Nodes whose children are drawn. */
  private readonly open = new Set<number>([0]);
  private selected = 0;
  private readonly radius: (visits: number) => number;

  constructor(
    private readonly t: ViewTree,
    private readonly canvas: Selection<HTMLDivElement, unknown, null, undefined>,
    private readonly details: Selection<HTMLElement, unknown, null, undefined>,
  ) {
    this.children = childLists(t.parent);
    this.roles = rolesOf(t);
    const r = scaleSqrt().domain([1, Math.max(1, ...t.visits)]).range([4, 11]).clamp(true);
    this.radius = (v) => r(Math.max(1, v));
    this.draw();
    this.describe(0);
  }

  expandAll(): void {
    this.children.forEach((c, n) => c.length > 0 && this.open.add(n));
    this.draw();
  }

  collapseAll(): void {
    this.open.clear();
    this.open.add(0);
    this.draw();
  }

  private toggle(n: number): void {
    if ((this.children[n] as number[]).length > 0) {
      if (this.open.has(n) && n !== 0) this.open.delete(n);
      else this.open.add(n);
    }
    this.selected = n;
    this.draw();
    this.describe(n);
  }

  private draw(): void {
    const h = hierarchy<number>(0, (n) => (this.open.has(n) ? this.children[n] : undefined));
    const laid = tidyTree<number>().nodeSize([ROW, COLUMN])(h);
    const nodes = laid.descendants();
    const xs = nodes.map((d) => d.x);
    const top = Math.min(...xs) - MARGIN;
    const width = (Math.max(...nodes.map((d) => d.y)) + COLUMN + 2 * MARGIN) | 0;
    const height = (Math.max(...xs) - top + MARGIN) | 0;
    this.canvas.selectAll('svg').remove();
    const svg = this.canvas.append('svg').attr('width', width).attr('height', height).attr('viewBox', `${-MARGIN} ${top} ${width} ${height}`);
    const link = linkHorizontal<unknown, HierarchyPointNode<number>>()
      .x((d) => d.y)
      .y((d) => d.x);
    svg
      .append('g')
      .attr('class', 'links')
      .selectAll('path')
      .data(laid.links())
      .join('path')
      .attr('d', (l) => link({ source: l.source, target: l.target }))
      .attr('stroke', (l) => {
        const r = this.roles.get(l.target.data);
        return r?.chosen?.node === l.source.data ? CHOSEN : r?.rejected?.node === l.source.data ? REJECTED : '#999';
      });
    const g = svg
      .append('g')
      .selectAll<SVGGElement, HierarchyPointNode<number>>('g')
      .data(nodes)
      .join('g')
      .attr('class', (d) => `node${d.data === this.selected ? ' selected' : ''}`)
      .attr('data-node', (d) => String(d.data))
      .attr('transform', (d) => `translate(${d.y},${d.x})`)
      .attr('tabindex', 0)
      .attr('role', 'button')
      .attr('aria-expanded', (d) => ((this.children[d.data] as number[]).length > 0 ? String(this.open.has(d.data)) : null))
      .on('click', (_, d) => this.toggle(d.data))
      .on('keydown', (e: KeyboardEvent, d) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          this.toggle(d.data);
        }
      });
    g.append('title').text((d) => (d.data === 0 ? 'root' : this.t.text[d.data] as string));
    g.append('circle')
      .attr('r', (d) => this.radius(this.t.visits[d.data] as number))
      .attr('fill', (d) => qColour(this.t.q[d.data] as number))
      .attr('stroke', (d) => {
        const r = this.roles.get(d.data);
        return r?.chosen ? CHOSEN : r?.rejected ? REJECTED : '#555';
      })
      .attr('stroke-width', (d) => (this.roles.get(d.data)?.chosen || this.roles.get(d.data)?.rejected ? 3 : 1))
      .attr('stroke-dasharray', (d) => (this.roles.get(d.data)?.split ? '3 2' : null));
    g.append('text')
      .attr('x', 14)
      .attr('dy', '-0.2em')
      // An utterance starts with its speaker's `Name:`.
      .text((d) => (d.data === 0 ? `root (task ${this.t.taskId})` : oneLine(this.t.text[d.data] as string, LABEL_CHARS)));
    g.append('text')
      .attr('class', 'stats')
      .attr('x', 14)
      .attr('dy', '1em')
      .text((d) => {
        const hidden = this.open.has(d.data) ? 0 : (this.children[d.data] as number[]).length;
        return `Q ${fixed(this.t.q[d.data] as number)} · N ${this.t.visits[d.data]}${this.t.terminal[d.data] ? ' · end' : ''}${hidden ? ` · +${hidden}` : ''}`;
      });
  }

  /** Fills the details panel with node n: its numbers, the pairs it takes part in, its utterance. */
  private describe(n: number): void {
    const t = this.t;
    const d = this.details;
    d.selectAll('*').remove();
    const speaker = n === 0 ? 'root (the system prompts)' : (t.agents[t.speaker[n] as number] ?? '?');
    d.append('h4').text(`node ${n}: ${speaker}`);
    const facts: [string, string][] = [
      ['Q', fixed(t.q[n] as number, 4)],
      ['visits', String(t.visits[n])],
      ['tokens', String(t.tokens[n])],
      ['children', String((this.children[n] as number[]).length)],
      ['ends a rollout', t.terminal[n] ? 'yes' : 'no'],
    ];
    if (t.answer[n]) facts.push(['answer', t.answer[n] as string]);
    const r = this.roles.get(n);
    // A search has neither influence nor selection; a run has both for its candidate pool.
    const fate = (p: ViewPair) => `${p.influence === null ? '' : `, influence Ĩ ${fixed(p.influence, 4)}`}${p.fate ? `, ${p.fate}` : ''}`;
    if (r?.split) facts.push(['pair split here', `chosen node ${r.split.chosen} (Q ${fixed(r.split.chosenValue)}), rejected node ${r.split.rejected} (Q ${fixed(r.split.rejectedValue)})${fate(r.split)}`]);
    if (r?.chosen) facts.push(['chosen side', `of the pair at node ${r.chosen.node}${fate(r.chosen)}`]);
    if (r?.rejected) facts.push(['rejected side', `of the pair at node ${r.rejected.node}${fate(r.rejected)}`]);
    const table = d.append('table');
    for (const [k, v] of facts) {
      const row = table.append('tr');
      row.append('th').text(k);
      row.append('td').text(v);
    }
    if (n !== 0) d.append('pre').attr('class', 'utterance').text(t.text[n] as string);
  }
}
