/**
 * What a report page shows, as plain data: the page template renders the tables and inline
 * SVG in Node, and the viewer script (bundled into the page) draws the charts and the tree
 * viewer from the same objects, which travel in the page as JSON. Types only, so the browser
 * bundle imports nothing of Node's.
 */

/** A table cell: text, or text linking to a file beside the report (a relative path). */
export type Cell = string | { text: string; href: string };

export interface Table {
  header: string[];
  rows: Cell[][];
}

/** A line chart over categories (iterations): one line per series, points where a value exists. */
export interface LineChart {
  /** Category labels along x, in order. */
  x: string[];
  yLabel: string;
  series: { name: string; values: (number | null)[]; dashed?: boolean }[];
  /** Loose points beside the lines (each DPO seed's score): index into `x`, value. */
  points?: { name: string; x: number; y: number }[];
}

/** One task's search tree as the viewer needs it; arrays are indexed by node (0: the root). */
export interface ViewTree {
  /** Where the tree comes from, e.g. `iteration 0`; '' in a search folder. */
  source: string;
  taskId: string;
  agents: string[];
  /** [N] parent index, -1 for the root. */
  parent: number[];
  /** [N] agent index, -1 for the root. */
  speaker: number[];
  visits: number[];
  /** [N] Q: mean backed-up reward, rounded to 4 decimals. */
  q: number[];
  tokens: number[];
  /** [N] 1 when a rollout ended at the node. */
  terminal: number[];
  /** [N] the utterance ('' for the root): model output, drawn as text, never as markup. */
  text: string[];
  /** [N] its parsed answer ('' when none). */
  answer: string[];
  pairs: ViewPair[];
}

/** A preference pair of the tree: at `node` the paths split into the chosen and the rejected child. */
export interface ViewPair {
  node: number;
  chosen: number;
  rejected: number;
  chosenValue: number;
  rejectedValue: number;
  /** The pair's normalized influence Ĩ (its probe group's); null when it was not probed. */
  influence: number | null;
  /** In a run: `selected`, `not selected` (candidate pool) or `held out` (the 10% test side); '' in a search. */
  fate: string;
}

export interface TreeSet {
  trees: ViewTree[];
  /** Trees in the folder; those past `trees.length` are left out of the page. */
  total: number;
  /** How the embedded trees were chosen, and where the rest are. */
  note: string;
}

export type Section =
  | { kind: 'table'; title: string; note?: string; table: Table }
  /** SVG that dits rendered itself (the Vega plots), inlined as is. */
  | { kind: 'svg'; title: string; note?: string; svg: string }
  | { kind: 'chart'; title: string; note?: string; chart: LineChart }
  | { kind: 'trees'; title: string; trees: TreeSet }
  /** HTML rendered from dits's own Markdown report, raw HTML in it escaped (engine/report/html/markdown.ts). */
  | { kind: 'markdown'; title: string; html: string };

export interface ReportPage {
  title: string;
  subtitle: string;
  sections: Section[];
}

/** What the page hands the viewer: the charts and tree sets, keyed by their section's index. */
export interface ViewerData {
  charts: Record<string, LineChart>;
  trees: Record<string, TreeSet>;
}
