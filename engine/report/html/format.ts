/** Number formats and table shapes the report pages share. */
import type { Cell, Table } from './model.ts';

/** Whole numbers with thousands separators, as the Markdown reports write them. */
export const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** A fixed number of decimals; a value that rounds to zero reads 0, not -0. */
export const dec = (n: number, d = 4) => n.toFixed(d).replace(/^-(0\.?0*)$/, '$1');

/** A two-column table of named values (no header row), skipping the absent ones. */
export function facts(rows: readonly (readonly [string, Cell | undefined])[]): Table {
  return { header: [], rows: rows.filter((r): r is readonly [string, Cell] => r[1] !== undefined).map(([k, v]) => [k, v]) };
}

/** `name=value, ...` of a parameter record, keys sorted so the text does not depend on insertion order. */
export function params(p: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(p).sort();
  return keys.length === 0 ? 'none' : keys.map((k) => `${k}=${String(p[k])}`).join(', ');
}
