/**
 * Output files that survive a crash: whole files are written to a temp file and renamed into
 * place; JSONL streams are appended line by line and renamed into place once complete, so a
 * file under its final name is always whole.
 */
import { createWriteStream, mkdirSync, renameSync, writeFileSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';

export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Appends chunks to `<file>.partial`; `close()` renames it to `file`, so the final name only ever holds a whole file. */
export class AppendLog {
  private readonly stream: WriteStream;
  private readonly partial: string;

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.partial = `${file}.partial`;
    this.stream = createWriteStream(this.partial, { flags: 'w' });
  }

  async append(chunk: string | Uint8Array): Promise<void> {
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
    renameSync(this.partial, this.file);
  }
}

/** Binary records (msgpack buffers), one after another. */
export class RecordLogWriter extends AppendLog {
  write(record: Uint8Array): Promise<void> {
    return this.append(record);
  }
}

/** One JSON value per line. */
export class JsonlWriter extends AppendLog {
  write(value: unknown): Promise<void> {
    return this.append(`${JSON.stringify(value)}\n`);
  }
}
