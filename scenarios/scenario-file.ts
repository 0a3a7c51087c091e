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

/** A scenario by built-in name (`gsm8k`) or by file path (`./my.yaml`). */
export function resolveScenario(nameOrPath: string): { scenario: Scenario; file: string } {
  const looksLikePath = /[/\\]/.test(nameOrPath) || ['.yaml', '.yml', '.json'].includes(extname(nameOrPath));
  if (looksLikePath || existsSync(nameOrPath)) {
    return { scenario: loadScenarioFile(nameOrPath), file: nameOrPath };
  }
  const file = join(BUILTIN_DIR, `${nameOrPath}.yaml`);
  if (!existsSync(file)) {
    throw new InputError(`unknown scenario '${nameOrPath}': not a file, and not a built-in (${listBuiltinScenarios().join(', ')})`);
  }
  return { scenario: loadScenarioFile(file), file };
}

export function loadScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot read scenario file: ${(e as Error).message}`);
  }
  return parseScenarioText(text, file);
}

export function parseScenarioText(text: string, file: string): Scenario {
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
  if (parsed.success) return parsed.data;
  throw new ScenarioFileError(file, parsed.error.issues.map((issue) => locateIssue(doc, lineCounter, issue)));
}

type Path = readonly PropertyKey[];

function fieldName(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** The issue's place: its own key (or item), or for a missing field the nearest enclosing key that exists. */
function locateIssue(doc: Document, lines: LineCounter, issue: z.core.$ZodIssue): ScenarioIssue {
  const path = issue.path as Path;
  if (issue.code === 'unrecognized_keys') {
    const full = [...path, issue.keys[0] ?? ''];
    return { field: fieldName(full), message: 'unknown field (the fields are listed in docs/scenarios.md)', ...position(doc, lines, full) };
  }
  for (let n = path.length; n >= 0; n--) {
    const at = position(doc, lines, path.slice(0, n));
    if (at.line !== undefined) {
      const message = n < path.length ? `${issue.message} (missing)` : issue.message;
      return { field: fieldName(path), message, ...at };
    }
  }
  return { field: fieldName(path), message: issue.message };
}

/** Line and column of a map entry's key, of a sequence item, or of the document for the empty path. */
function position(doc: Document, lines: LineCounter, path: Path): { line?: number; column?: number } {
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
