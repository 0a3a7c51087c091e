/**
 * Preference pairs kept on disk while a search runs, read back by index for the dataset export:
 * the pairs (with their long prompts) are what grows with the task count, and holding them in
 * memory would bound a search by RAM. One msgpack record per pair in a scratch file, and two
 * numbers per pair in memory.
 */
import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { Packr } from 'msgpackr';
import type { PreferencePair } from '../examples.ts';

const packr = new Packr({ useRecords: true });

export class PairSpill {
  private readonly fd: number;
  private offsets = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private end = 0;
  length = 0;

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.fd = openSync(file, 'w+');
  }

  push(pair: PreferencePair): void {
    const bytes = packr.pack(pair);
    if (this.length === this.offsets.length) {
      const offsets = new Float64Array(this.length * 2);
      offsets.set(this.offsets);
      this.offsets = offsets;
      const lengths = new Uint32Array(this.length * 2);
      lengths.set(this.lengths);
      this.lengths = lengths;
    }
    writeSync(this.fd, bytes, 0, bytes.length, this.end);
    this.offsets[this.length] = this.end;
    this.lengths[this.length] = bytes.length;
    this.end += bytes.length;
    this.length++;
  }

  get(i: number): PreferencePair {
    if (!(i >= 0 && i < this.length)) throw new RangeError(`pair ${i} of ${this.length}`);
    const buf = Buffer.allocUnsafe(this.lengths[i] as number);
    readSync(this.fd, buf, 0, buf.length, this.offsets[i] as number);
    return packr.unpack(buf) as PreferencePair;
  }

  /** Closes and deletes the scratch file. */
  dispose(): void {
    closeSync(this.fd);
    rmSync(this.file, { force: true });
  }
}
