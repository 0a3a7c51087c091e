/**
 * Generic JSONL (or JSON array): a FieldMapping says where in each row the task's fields are,
 * as dotted paths (`meta.gold`, `answers.0`).
 */
import type { ContextPiece } from '../task.ts';
import { DatasetError } from './errors.ts';
import { asArray, asId, asRow, asString, asStrings, asText, expected, fail, item, optional } from './fields.ts';
import { jsonRows, type Loader } from './rows.ts';

export interface FieldMapping {
  question: string;
  /** A string or an array of strings (canonical first). */
  answers: string;
  id?: string;
  /** An array of choice texts. */
  options?: string;
  /** A string, an array of strings (one piece each), or `[[title, [sentences]]]`. */
  context?: string;
}

const TARGETS = ['id', 'question', 'answers', 'options', 'context'] as const;
const REQUIRED = ['question', 'answers'] as const;

/** Used when no mapping is given: rows already named like a Task. */
export const IDENTITY_MAPPING: FieldMapping = { id: 'id', question: 'question', answers: 'answers', options: 'options', context: 'context' };

function mappingError(detail: string): DatasetError {
  return new DatasetError({ file: 'field mapping' }, detail);
}

/** Parses the CLI form `question=q,answers=meta.gold,context=ctx,id=uid`. */
export function parseFieldMapping(spec: string): FieldMapping {
  const found = new Map<string, string>();
  for (const [i, part] of spec.split(',').entries()) {
    const text = part.trim();
    if (text === '') throw mappingError(`part ${i + 1} of '${spec}' is empty`);
    const eq = text.indexOf('=');
    if (eq < 0) throw mappingError(`part '${text}': expected TARGET=SOURCE.PATH`);
    const target = text.slice(0, eq).trim();
    const source = text.slice(eq + 1).trim();
    if (!(TARGETS as readonly string[]).includes(target)) throw mappingError(`part '${text}': unknown target '${target}' (known: ${TARGETS.join(', ')})`);
    if (found.has(target)) throw mappingError(`part '${text}': target '${target}' is mapped twice`);
    if (source.split('.').some((s) => s.trim() === '')) throw mappingError(`part '${text}': source path '${source}' has an empty segment`);
    found.set(target, source);
  }
  const missing = REQUIRED.filter((t) => !found.has(t));
  if (missing.length > 0) throw mappingError(`'${spec}' maps no ${missing.map((t) => `'${t}'`).join(' or ')} (required)`);
  return Object.fromEntries(found) as unknown as FieldMapping;
}

function lookup(row: unknown, path: string): unknown {
  let value = row;
  for (const segment of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function answersAt(value: unknown, field: string): string[] {
  if (typeof value === 'string') return [asText(value, field)];
  if (!Array.isArray(value)) expected(field, 'a string or an array of strings', value);
  const answers = asStrings(value, field);
  if (answers.length === 0) fail(field, 'expected at least one answer, got an empty array');
  asText(answers[0], item(field, 0));
  return answers;
}

function contextAt(value: unknown, field: string): ContextPiece[] {
  // The mapping has no source for supporting facts, so no piece is marked supporting.
  if (typeof value === 'string') return [{ sentences: [value], supporting: false }];
  return asArray(value, field).map((p, i): ContextPiece => {
    if (typeof p === 'string') return { sentences: [p], supporting: false };
    const pair = Array.isArray(p) && p.length === 2 ? p : fail(item(field, i), 'expected a string or a [title, [sentences]] pair');
    return { title: asString(pair[0], item(item(field, i), 0)), sentences: asStrings(pair[1], item(item(field, i), 1)), supporting: false };
  });
}

export function jsonlLoader(mapping: FieldMapping): Loader {
  const optionalAt = <T>(path: string | undefined, row: unknown, check: (v: unknown, f: string) => T): T | undefined =>
    path === undefined ? undefined : optional(lookup(row, path), path, check);
  return {
    rows: jsonRows,
    toTask(value, row) {
      const r = asRow(value);
      const options = optionalAt(mapping.options, r, asStrings);
      return {
        id: optionalAt(mapping.id, r, asId) ?? `jsonl-${row.index}`,
        dataset: 'jsonl',
        question: asText(lookup(r, mapping.question), mapping.question),
        answers: answersAt(lookup(r, mapping.answers), mapping.answers),
        ...(options !== undefined ? { options } : {}),
        context: optionalAt(mapping.context, r, contextAt) ?? [],
        meta: {},
      };
    },
  };
}
