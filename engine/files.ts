/**
 * Output files that survive a crash: whole files are written to a temp file and renamed into
 * place; JSONL streams are appended line by line and renamed into place once complete, so a
 * file under its final name is always whole.
 */
import { createWriteStream, mkdirSync, renameSync, writeFileSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';

export function writeFileAtomic(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Appends binary records (msgpack buffers) to `<file>.partial`; `close()` renames it to `file`. */
export class RecordLogWriter {
  private readonly stream: WriteStream;
  private readonly partial: string;

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.partial = `${file}.partial`;
    this.stream = createWriteStream(this.partial, { flags: 'w' });
  }

  async write(record: Uint8Array): Promise<void> {
    if (!this.stream.write(record)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
    renameSync(this.partial, this.file);
  }
}

/** Appends one JSON value per line to `<file>.partial`; `close()` renames it to `file`. */
export class JsonlWriter {
  private readonly stream: WriteStream;
  private readonly partial: string;

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.partial = `${file}.partial`;
    this.stream = createWriteStream(this.partial, { flags: 'w' });
  }

  async write(value: unknown): Promise<void> {
    if (!this.stream.write(`${JSON.stringify(value)}\n`)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
    renameSync(this.partial, this.file);
  }
}
