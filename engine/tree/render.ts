/** A tree for people: indented text with Q and visits, or Graphviz DOT. */
import { NO_NODE, ROOT, type TreeStore } from './store.ts';

function oneLine(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= width ? flat : `${flat.slice(0, width - 1)}…`;
}

function stats(tree: TreeStore, n: number): string {
  return `Q=${tree.value(n).toFixed(3)} N=${tree.visits[n]}${tree.terminal[n] ? ' end' : ''}`;
}

/** Depth-first, children in creation order: `[Q N] text`. */
export function treeAsText(tree: TreeStore, opts: { width?: number; title?: string } = {}): string {
  const width = opts.width ?? 100;
  const lines = [`${opts.title ?? 'root'}  ${stats(tree, ROOT)}`];
  const walk = (n: number, indent: string) => {
    const kids = tree.children(n);
    kids.forEach((c, i) => {
      const last = i === kids.length - 1;
      lines.push(`${indent}${last ? '└─ ' : '├─ '}[${stats(tree, c)}] ${oneLine(tree.text[c] as string, width)}`);
      walk(c, indent + (last ? '   ' : '│  '));
    });
  };
  walk(ROOT, '');
  return `${lines.join('\n')}\n`;
}

function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Graphviz DOT: one box per node labelled with Q, visits and the start of its utterance. */
export function treeAsDot(tree: TreeStore, opts: { width?: number; title?: string } = {}): string {
  const width = opts.width ?? 60;
  const out = [`digraph ${dotString(opts.title ?? 'tree')} {`, '  node [shape=box, fontname="Helvetica", fontsize=10];'];
  for (let n = 0; n < tree.size; n++) {
    const label = n === ROOT ? `root\n${stats(tree, n)}` : `${stats(tree, n)}\n${oneLine(tree.text[n] as string, width)}`;
    out.push(`  n${n} [label=${dotString(label)}${tree.terminal[n] ? ', style=rounded' : ''}];`);
    const parent = tree.parent[n] as number;
    if (parent !== NO_NODE) out.push(`  n${parent} -> n${n};`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
