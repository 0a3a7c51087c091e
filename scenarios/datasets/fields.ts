/**
 * Typed access to parsed rows: each check names the field's path in the source layout
 * (e.g. `question.choices[2].label`), so a bad row's error points at what to fix.
 */
import { RowProblem } from './errors.ts';

export type JsonObject = Record<string, unknown>;

function kind(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  return typeof value === 'object' ? 'an object' : typeof value;
}

export function fail(field: string | undefined, message: string): never {
  throw new RowProblem(field, message);
}

/** `missing, expected X` or `expected X, got Y`. */
export function expected(field: string, what: string, value: unknown): never {
  return fail(field, value === undefined ? `missing, expected ${what}` : `expected ${what}, got ${kind(value)}`);
}

export const item = (field: string, i: number): string => `${field}[${i}]`;
export const key = (field: string, name: string): string => `${field}.${name}`;

/** The row itself: every format's rows are JSON objects (or CSV records, checked elsewhere). */
export function asRow(value: unknown): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(undefined, `expected a JSON object as the row, got ${kind(value)}`);
  }
  return value as JsonObject;
}

export function asObject(value: unknown, field: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return expected(field, 'an object', value);
  return value as JsonObject;
}

export function asArray(value: unknown, field: string): unknown[] {
  return Array.isArray(value) ? value : expected(field, 'an array', value);
}

export function asString(value: unknown, field: string): string {
  return typeof value === 'string' ? value : expected(field, 'a string', value);
}

/** A string that carries content: questions and gold answers must not be blank. */
export function asText(value: unknown, field: string): string {
  return typeof value === 'string' && value.trim() !== '' ? value : expected(field, 'a non-empty string', value);
}

export function asInteger(value: unknown, field: string): number {
  return Number.isInteger(value) ? (value as number) : expected(field, 'an integer', value);
}

export function asStrings(value: unknown, field: string): string[] {
  return asArray(value, field).map((v, i) => asString(v, item(field, i)));
}

/** Absent (missing or null) gives undefined; present must pass the check. */
export function optional<T>(value: unknown, field: string, check: (v: unknown, f: string) => T): T | undefined {
  return value === undefined || value === null ? undefined : check(value, field);
}

/** Parallel columns of a Hugging Face struct-of-lists must have one entry per item. */
export function sameLength(field: string, columns: Record<string, readonly unknown[]>): void {
  const entries = Object.entries(columns);
  const [firstName, first] = entries[0] ?? ['', []];
  for (const [name, column] of entries.slice(1)) {
    if (column.length !== first.length) {
      fail(key(field, name), `has ${column.length} entries but ${key(field, firstName)} has ${first.length}`);
    }
  }
}

/** Position of the choice whose label is the answer key; a key that names no choice is a bad row. */
export function keyIndex(labels: readonly string[], answerKey: string, field: string): number {
  const at = labels.findIndex((l) => l.trim() === answerKey.trim());
  return at >= 0 ? at : fail(field, `answer key '${answerKey}' is not among the choice labels ${labels.join(', ')}`);
}

/** A source id: a string, or an integer as some exports give it. */
export function asId(value: unknown, field: string): string {
  if (typeof value === 'string' && value !== '') return value;
  return Number.isInteger(value) ? String(value) : expected(field, 'a string id', value);
}

/** The source's own id from the first of `fields` present, else the fallback (`<dataset>-<row index>`). */
export function taskId(row: JsonObject, fields: readonly string[], fallback: string): string {
  for (const f of fields) {
    const id = optional(row[f], f, asId);
    if (id !== undefined) return id;
  }
  return fallback;
}

/** Gold answers: canonical first, aliases after, without duplicates. */
export function uniqueAnswers(canonical: string, aliases: readonly string[]): string[] {
  return [...new Set([canonical, ...aliases])];
}
