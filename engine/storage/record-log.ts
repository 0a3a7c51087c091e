/**
 * A crash-safe append-only log of binary records. Each record is framed as
 * [length u32 LE][checksum u32 LE][payload], the checksum being the first four bytes of the
 * payload's SHA-256, so a reader can tell a whole record from one a crash cut short (too few
 * bytes) or one written over by garbage (checksum mismatch). Reading returns the longest good
 * prefix and what was wrong after it; the writer of a resumed run truncates to that prefix and
 * appends from there.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const HEADER = 8;

function checksum(payload: Uint8Array): number {
  return createHash('sha256').update(payload).digest().readUInt32LE(0);
}

export interface LogContents {
  records: Uint8Array[];
  /** Bytes of the good prefix: where the next record goes. */
  goodBytes: number;
  /** What follows the good prefix, when something does: a cut-short or corrupted record. */
  problem?: { record: number; offset: number; kind: 'truncated' | 'corrupt' };
}

/** The good records of `file` (none when it does not exist). */
export function readRecordLog(file: string): LogContents {
  if (!existsSync(file)) return { records: [], goodBytes: 0 };
  const buf = readFileSync(file);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < buf.length) {
    const problem = (kind: 'truncated' | 'corrupt') => ({ records, goodBytes: at, problem: { record: records.length, offset: at, kind } });
    if (at + HEADER > buf.length) return problem('truncated');
    const length = buf.readUInt32LE(at);
    const sum = buf.readUInt32LE(at + 4);
    if (at + HEADER + length > buf.length) return problem('truncated');
    const payload = buf.subarray(at + HEADER, at + HEADER + length);
    if (checksum(payload) !== sum) return problem('corrupt');
    records.push(payload);
    at += HEADER + length;
  }
  return { records, goodBytes: at };
}

/** Appends records to a log, synchronously: a record is on disk (fsync'd every `syncEvery` records: a kill -9 loses nothing written, a power cut at most those) when append returns. */
export class RecordLogAppender {
  private readonly fd: number;
  private unsynced = 0;

  /** Opens `file` for appending after its first `goodBytes` bytes (0: a new log). */
  constructor(
    file: string,
    goodBytes = 0,
    private readonly syncEvery = 64,
  ) {
    mkdirSync(dirname(file), { recursive: true });
    if (existsSync(file)) truncateSync(file, goodBytes);
    this.fd = openSync(file, goodBytes > 0 ? 'a' : 'w');
  }

  append(payload: Uint8Array): void {
    const frame = Buffer.allocUnsafe(HEADER + payload.length);
    frame.writeUInt32LE(payload.length, 0);
    frame.writeUInt32LE(checksum(payload), 4);
    frame.set(payload, HEADER);
    writeSync(this.fd, frame);
    if (++this.unsynced >= this.syncEvery) this.sync();
  }

  sync(): void {
    fsyncSync(this.fd);
    this.unsynced = 0;
  }

  close(): void {
    this.sync();
    closeSync(this.fd);
  }
}
