/**
 * The on-disk response cache: key = sha256 of JSON.stringify({path, body}) (the endpoint is not
 * part of it), value = the parsed response. Stored append-only, one `{"k", "v"}` JSON line per
 * response, and read into a Map when the backend connects, so a rerun or a resume replays its
 * requests without the network. A line torn by a crash is dropped (and cut off the file, so the
 * next append starts on a line of its own).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, openSync, closeSync, readSync, fstatSync, ftruncateSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/** The key of a request, given the JSON text of its body (it must be JSON.stringify(body)). */
export function cacheKey(path: string, bodyJson: string): string {
  // Equal to sha256(JSON.stringify({path, body})) without stringifying the body twice.
  return createHash('sha256').update(`{"path":${JSON.stringify(path)},"body":${bodyJson}}`).digest('hex');
}

const NEWLINE = 0x0a;

export class ResponseCache {
  private readonly map = new Map<string, unknown>();
  private stream: WriteStream | undefined;
  private writeError: Error | undefined;

  private constructor(readonly file: string) {}

  /** Reads `file` (if it exists) and opens it for appending. */
  static async open(file: string, log: (line: string) => void): Promise<ResponseCache> {
    const cache = new ResponseCache(file);
    mkdirSync(dirname(file), { recursive: true });
    if (existsSync(file)) {
      await cache.load(log);
      if (cache.map.size > 0) log(`response cache ${file}: ${cache.map.size} responses to replay`);
    }
    cache.stream = createWriteStream(file, { flags: 'a' });
    cache.stream.on('error', (err) => {
      cache.writeError ??= err;
      log(`response cache ${file}: write failed (${err.message}); responses are no longer saved`);
    });
    return cache;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): unknown {
    return this.map.get(key);
  }

  /** Remembers a response and appends it to the file (buffered: close() flushes). */
  put(key: string, value: unknown, rawJson?: string): void {
    if (this.map.has(key)) return;
    this.map.set(key, value);
    if (this.stream === undefined || this.writeError !== undefined) return;
    // The raw body is reused when it is a single line of JSON; otherwise it is re-serialised.
    const v = rawJson !== undefined && !/[\r\n\u2028\u2029]/.test(rawJson) ? rawJson.trim() : JSON.stringify(value);
    this.stream.write(`{"k":"${key}","v":${v}}\n`);
  }

  async close(): Promise<void> {
    const s = this.stream;
    this.stream = undefined;
    if (s === undefined) return;
    await new Promise<void>((resolve) => s.end(() => resolve()));
    if (this.writeError !== undefined) throw this.writeError;
  }

  private async load(log: (line: string) => void): Promise<void> {
    let bad = 0;
    let pending: Buffer[] = [];
    const take = (line: Buffer): void => {
      if (line.length === 0) return;
      try {
        const rec = JSON.parse(line.toString('utf8')) as { k?: unknown; v?: unknown };
        if (typeof rec.k === 'string' && rec.v !== undefined) this.map.set(rec.k, rec.v);
        else bad++;
      } catch {
        bad++;
      }
    };
    for await (const chunk of createReadStream(this.file) as AsyncIterable<Buffer>) {
      let start = 0;
      for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, start)) {
        const piece = chunk.subarray(start, i);
        take(pending.length === 0 ? piece : Buffer.concat([...pending, piece]));
        pending = [];
        start = i + 1;
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
    if (bad > 0) log(`response cache ${this.file}: ${bad} unreadable line${bad === 1 ? '' : 's'} ignored`);
    if (pending.length > 0) {
      const torn = pending.reduce((n, b) => n + b.length, 0);
      log(`response cache ${this.file}: ignoring a torn last line (${torn} bytes, from an interrupted run)`);
      truncateTail(this.file, torn);
    }
  }
}

/** Cuts `bytes` off the end of `file`, after checking they follow the last newline. */
function truncateTail(file: string, bytes: number): void {
  const fd = openSync(file, 'r+');
  try {
    const size = fstatSync(fd).size;
    const at = size - bytes;
    if (at > 0) {
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, at - 1);
      if (b[0] !== NEWLINE) return; // the file changed under us: leave it
    }
    ftruncateSync(fd, Math.max(0, at));
  } finally {
    closeSync(fd);
  }
}
