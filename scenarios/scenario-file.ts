/**
 * Reading scenario files (YAML or JSON; JSON is read by the YAML parser, which gives both the
 * same line numbers) and the built-in scenarios shipped under `scenarios/builtin/`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ScenarioFileError, type ScenarioIssue, InputError } from './errors.ts';
import { scenarioSchema, type Scenario } from './schema.ts';

export const BUILTIN_DIR = fileURLToPath(new URL('./builtin/', import.meta.url));

export function listBuiltinScenarios(): string[] {
  return readdirSync(BUILTIN_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => basename(f, '.yaml'))
    .sort();
}

/** A field of a scenario, as zod and `Document.getIn` spell it: `['agents', 1, 'prompt']`. */
export type FieldPath = readonly PropertyKey[];

/** A parsed scenario and the places of its fields in the file it came from. */
export interface ScenarioSource {
  scenario: Scenario;
  file: string;
  /**
   * An issue about the field at `path`, located at its key (or list item); for a field the file
   * leaves out (a default), at the nearest enclosing key the file has.
   */
  issueAt(path: FieldPath, message: string): ScenarioIssue;
}

/** A scenario by built-in name (`gsm8k`) or by file path (`./my.yaml`). */
export function resolveScenario(nameOrPath: string): ScenarioSource {
  const looksLikePath = /[/\\]/.test(nameOrPath) || ['.yaml', '.yml', '.json'].includes(extname(nameOrPath));
  if (looksLikePath || existsSync(nameOrPath)) {
    return loadScenarioFile(nameOrPath);
  }
  const file = join(BUILTIN_DIR, `${nameOrPath}.yaml`);
  if (!existsSync(file)) {
    throw new InputError(`unknown scenario '${nameOrPath}': not a file, and not a built-in (${listBuiltinScenarios().join(', ')})`);
  }
  return loadScenarioFile(file);
}

export function loadScenarioFile(file: string): ScenarioSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot read scenario file: ${(e as Error).message}`);
  }
  return parseScenarioSource(text, file);
}

export function parseScenarioText(text: string, file: string): Scenario {
  return parseScenarioSource(text, file).scenario;
}

export function parseScenarioSource(text: string, file: string): ScenarioSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioFileError(
      file,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { field: '', message: `syntax error: ${e.message.split('\n')[0]}`, line: pos.line, column: pos.col };
      }),
    );
  }
  const parsed = scenarioSchema.safeParse(doc.toJS());
  if (!parsed.success) throw new ScenarioFileError(file, parsed.error.issues.map((issue) => locateIssue(doc, lineCounter, issue)));
  return { scenario: parsed.data, file, issueAt: (path, message) => issueAt(doc, lineCounter, path, message) };
}

function fieldName(path: FieldPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** The issue's place: its own key (or item), or for a missing field the nearest enclosing key that exists. */
function locateIssue(doc: Document, lines: LineCounter, issue: z.core.$ZodIssue): ScenarioIssue {
  const path = issue.path as FieldPath;
  if (issue.code === 'unrecognized_keys') {
    const full = [...path, issue.keys[0] ?? ''];
    return { field: fieldName(full), message: 'unknown field (the fields are listed in docs/scenarios.md)', ...position(doc, lines, full) };
  }
  const { at, enclosing } = nearestPosition(doc, lines, path);
  return { field: fieldName(path), message: enclosing ? `${issue.message} (missing)` : issue.message, ...at };
}

function issueAt(doc: Document, lines: LineCounter, path: FieldPath, message: string): ScenarioIssue {
  return { field: fieldName(path), message, ...nearestPosition(doc, lines, path).at };
}

/** The path's own position, or (`enclosing`) the nearest enclosing one the file has. */
function nearestPosition(doc: Document, lines: LineCounter, path: FieldPath): { at: { line?: number; column?: number }; enclosing: boolean } {
  for (let n = path.length; n >= 0; n--) {
    const at = position(doc, lines, path.slice(0, n));
    if (at.line !== undefined) return { at, enclosing: n < path.length };
  }
  return { at: {}, enclosing: false };
}

/** Line and column of a map entry's key, of a sequence item, or of the document for the empty path. */
function position(doc: Document, lines: LineCounter, path: FieldPath): { line?: number; column?: number } {
  let offset: number | undefined;
  if (path.length === 0) {
    offset = (doc.contents as { range?: number[] } | null)?.range?.[0];
  } else {
    const parent = doc.getIn(path.slice(0, -1) as unknown[], true) ?? (path.length === 1 ? doc.contents : undefined);
    const last = path[path.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === last);
      offset = pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
    } else if (isSeq(parent) && typeof last === 'number') {
      offset = (parent.items[last] as { range?: number[] } | undefined)?.range?.[0];
    }
  }
  if (offset === undefined) return {};
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}
