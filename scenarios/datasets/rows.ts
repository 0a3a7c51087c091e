/**
 * Readers turn a file into raw rows with their places, never holding the file in memory:
 * readline for line formats, stream-json for JSON arrays. A row is parsed only when the loader
 * calls `read`, so a bad row throws where the loader can report it and go on with the next.
 * Stopping the iteration early closes the file.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Transform } from 'node:stream';
import Parser from 'stream-json/Parser.js';
import Pick from 'stream-json/filters/Pick.js';
import StreamArray from 'stream-json/streamers/StreamArray.js';
import type { SourcePlace, Task } from '../task.ts';
import { DatasetError, RowProblem } from './errors.ts';

export interface SourceRow {
  /** Where the row is, for error messages. */
  place: SourcePlace;
  /** 0-based position among the file's rows, for `<dataset>-<index>` ids. */
  index: number;
  /** The name the reader knows the row by (a file in a directory), used as id when the row has none. */
  key?: string;
  /** The parsed row; throws RowProblem when it does not parse. */
  read(): unknown;
}

/** One benchmark family: how to read its files and how to turn one row into a Task. */
export interface Loader {
  rows(file: string): AsyncIterable<SourceRow>;
  /** Throws RowProblem for a bad row. */
  toTask(value: unknown, row: SourceRow): Task;
}

function unreadable(file: string, err: unknown): DatasetError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new DatasetError({ file }, 'no such file or directory');
  if (code === 'EISDIR') return new DatasetError({ file }, 'is a directory, expected a file');
  if (code === 'EACCES') return new DatasetError({ file }, 'permission denied');
  return new DatasetError({ file }, `cannot read: ${(err as Error)?.message ?? String(err)}`);
}

/** The first bytes of a file (BOM removed), to tell layouts apart; also where a missing file is reported. */
export async function peek(file: string, bytes = 64 * 1024): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, 'r');
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
  } catch (err) {
    throw unreadable(file, err);
  } finally {
    await handle?.close();
  }
}

/**
 * Refuses a file that is not text: a NUL byte, or bytes that are not UTF-8, in its first 64 KiB.
 * Every format dits reads is UTF-8 text, and a parser's own message on binary input quotes
 * kilobytes of it.
 */
export async function assertText(file: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  let head: Buffer;
  try {
    handle = await open(file, 'r');
    const buffer = Buffer.alloc(64 * 1024);
    head = buffer.subarray(0, (await handle.read(buffer, 0, buffer.length, 0)).bytesRead);
  } catch (err) {
    throw unreadable(file, err);
  } finally {
    await handle?.close();
  }
  const nul = head.indexOf(0);
  if (nul >= 0) throw new DatasetError({ file }, `looks binary, not a text dataset: a NUL byte at byte ${nul}`);
  try {
    // stream: a multi-byte character cut at the end of the sample is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    throw new DatasetError({ file }, 'looks binary, not a text dataset: its first bytes are not UTF-8');
  }
}

/** `s` for a message: control characters escaped, cut to `max` characters. */
export function excerpt(s: string, max = 60): string {
  const escaped = JSON.stringify(s).slice(1, -1);
  return escaped.length > max ? `${escaped.slice(0, max)}...` : escaped;
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (err) {
    throw unreadable(path, err);
  }
}

export async function* readLines(file: string): AsyncGenerator<{ line: number; text: string }> {
  const input = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      yield { line, text: line === 1 ? text.replace(/^\uFEFF/, '') : text };
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RowProblem(undefined, `invalid JSON: ${(err as Error).message}`);
  }
}

/** JSON Lines; blank lines are not rows. */
export async function* jsonlRows(file: string): AsyncGenerator<SourceRow> {
  let index = 0;
  for await (const { line, text } of readLines(file)) {
    if (text.trim() === '') continue;
    const row = index++;
    yield { place: { file, line, index: row }, index: row, read: () => parseJson(text) };
  }
}

/**
 * The items of a JSON array, streamed: the top-level array, or the array at `path` inside a
 * top-level object (TriviaQA's `Data`). A syntax error ends the file (nothing after it can be
 * trusted), so it throws even when bad rows are skipped; the items before it are still yielded.
 */
export async function* jsonArrayRows(file: string, path?: string): AsyncGenerator<SourceRow> {
  const source = createReadStream(file);
  const picker = path === undefined ? undefined : Pick.pick({ filter: path });
  const items = StreamArray.streamArray();
  const stages: Transform[] = [Parser.parser({ streamValues: false }), ...(picker ? [picker] : []), items];
  let broken: Error | undefined;
  let count = 0;
  let found = picker === undefined;
  picker?.once('data', () => (found = true));
  // An upstream error must not drop the items already parsed: end the next stage so they drain.
  stages.reduce<NodeJS.ReadableStream>((from, to) => {
    from.on('error', (err: Error) => {
      broken ??= err;
      to.end();
    });
    return from.pipe(to);
  }, source);
  let itemsFailed = false;
  try {
    for await (const { key, value } of items as AsyncIterable<{ key: number; value: unknown }>) {
      count = key + 1;
      yield { place: { file, index: key }, index: key, read: () => value };
    }
  } catch (err) {
    itemsFailed = true;
    broken ??= err as Error;
  } finally {
    source.destroy();
    for (const stage of stages) stage.destroy();
  }
  if (itemsFailed && count === 0) throw new DatasetError({ file, ...(path ? { field: path } : {}) }, 'expected a JSON array of rows');
  if (broken) throw new DatasetError({ file, index: count }, `invalid JSON: ${broken.message}`);
  if (!found) throw new DatasetError({ file, field: path }, 'missing, expected an array of rows');
}

/** JSON Lines or one JSON array, told apart by the first character. */
export async function* jsonRows(file: string): AsyncGenerator<SourceRow> {
  const head = (await peek(file)).trimStart();
  yield* head.startsWith('[') ? jsonArrayRows(file) : jsonlRows(file);
}
