/**
 * The house drawing: checks the import rules of .dependency-cruiser.cjs and draws the folders
 * and which import which (engine/ by its subfolders) as a Mermaid chart in docs/house.md.
 *   npm run house               check, and rewrite docs/house.md
 *   npm run house -- --check    check, and fail if docs/house.md is not the current drawing
 * test/house.test.ts uses the same functions.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HOUSE = `${ROOT}docs/house.md`;
const FOLDERS = ['scenarios', 'engine', 'serve-sim', 'actors', 'workers', 'properties', 'cli', 'test'];
/** A room of the house: a top-level folder, or one of engine/'s. */
const ROOM = /^(engine\/[^/]+|scenarios|serve-sim|actors|workers|properties|cli|test)\//;

/** Rooms by name, each with the rooms it imports. */
export type Rooms = Map<string, string[]>;

/** The room a module lives in: its top-level folder, or engine/'s subfolder. */
const roomOf = (path: string): string | undefined => ROOM.exec(path)?.[1];

/**
 * One cruise of the code: every broken rule, one line each (`rule: from -> to`; a circle lists
 * its path), and the library's rooms with the rooms each imports, sorted.
 */
export async function inspectHouse(): Promise<{ violations: string[]; rooms: Rooms }> {
  const options = { ...(await extractDepcruiseOptions(`${ROOT}.dependency-cruiser.cjs`)), baseDir: ROOT };
  const result = (await cruise(FOLDERS, options)).output as ICruiseResult;
  const violations = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.cycle ? v.cycle.map((c) => c.name).join(' -> ') : v.to}`);
  const imports = new Map<string, Set<string>>();
  for (const m of result.modules) {
    const room = roomOf(m.source);
    if (room === undefined || room === 'test') continue;
    const to = imports.get(room) ?? new Set<string>();
    for (const d of m.dependencies) {
      const target = roomOf(d.resolved);
      if (target !== undefined && target !== room && target !== 'test') to.add(target);
    }
    imports.set(room, to);
  }
  const rooms: Rooms = new Map([...imports].sort(([x], [y]) => x.localeCompare(y)).map(([room, to]) => [room, [...to].sort()]));
  return { violations, rooms };
}

/** The rooms' circles, if any (a room reached again from itself). */
export function roomCircles(rooms: Rooms): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const circles: string[] = [];
  const visit = (room: string, path: string[]): void => {
    state.set(room, 'open');
    for (const next of rooms.get(room) ?? []) {
      if (state.get(next) === 'open') circles.push([...path.slice(path.indexOf(next)), room, next].join(' -> '));
      else if (!state.has(next)) visit(next, [...path, room]);
    }
    state.set(room, 'done');
  };
  for (const room of rooms.keys()) if (!state.has(room)) visit(room, []);
  return circles;
}

/** The arrows a reader needs: an import already implied through another room is left out (rooms form a DAG). */
function withoutImplied(rooms: Rooms): Rooms {
  const reach = new Map<string, Set<string>>();
  const reachable = (room: string): Set<string> => {
    if (!reach.has(room)) {
      reach.set(room, new Set());
      const all = new Set<string>();
      for (const next of rooms.get(room) ?? []) for (const r of [next, ...reachable(next)]) all.add(r);
      reach.set(room, all);
    }
    return reach.get(room) as Set<string>;
  };
  return new Map([...rooms].map(([room, to]) => [room, to.filter((t) => !to.some((o) => o !== t && reachable(o).has(t)))]));
}

/** docs/house.md for these rooms. */
export function houseMarkdown(rooms: Rooms): string {
  if (roomCircles(rooms).length === 0) rooms = withoutImplied(rooms);
  const id = (room: string) => room.replace(/[^a-z]/g, '_');
  const engine = [...rooms.keys()].filter((r) => r.startsWith('engine/'));
  const lines = ['flowchart BT'];
  lines.push('  subgraph engine', ...engine.map((r) => `    ${id(r)}["${r.slice('engine/'.length)}"]`), '  end');
  for (const r of rooms.keys()) if (!r.startsWith('engine/')) lines.push(`  ${id(r)}["${r}"]`);
  for (const [r, to] of rooms) for (const t of to) lines.push(`  ${id(r)} --> ${id(t)}`);
  return [
    '# The house',
    '',
    'What imports what, by folder (engine/ by its subfolders). An arrow points at what is imported; an import',
    'implied by a path of arrows is not drawn, so every room depends on what it can reach.',
    'Drawn by `npm run house` from the code, which also checks the rules in `.dependency-cruiser.cjs`:',
    'imports run one way (`scenarios <- engine <- serve-sim | actors <- workers | properties <- cli`),',
    'no circle between modules or between these rooms, and no library code importing tests.',
    '`test/house.test.ts` fails when a rule breaks or this drawing is out of date.',
    '',
    '```mermaid',
    ...lines,
    '```',
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { violations: broken, rooms } = await inspectHouse();
  const circles = roomCircles(rooms);
  for (const line of [...broken, ...circles.map((c) => `room circle: ${c}`)]) process.stderr.write(`${line}\n`);
  const drawing = houseMarkdown(rooms);
  if (process.argv.includes('--check')) {
    if (readFileSync(HOUSE, 'utf8') !== drawing) {
      process.stderr.write('docs/house.md is not the current drawing: run npm run house\n');
      process.exitCode = 1;
    }
  } else writeFileSync(HOUSE, drawing);
  if (broken.length + circles.length > 0) process.exitCode = 1;
}
