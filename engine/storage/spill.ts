/**
 * Records kept on disk while a search runs, read back by index for the dataset export: the
 * preference pairs and SFT candidates (with their long prompts) are what grows with the task
 * count, and holding them in memory would bound a search by RAM. One msgpack record per item in
 * a scratch file, and two numbers per item in memory.
 */
import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: true });

/** Items read by index: a spill, or a view over one. */
export interface IndexedSource<T> {
  readonly length: number;
  get(i: number): T;
}

export class Spill<T> implements IndexedSource<T> {
  private readonly fd: number;
  private offsets = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private end = 0;
  length = 0;

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.fd = openSync(file, 'w+');
  }

  push(item: T): void {
    const bytes = packr.pack(item);
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

  get(i: number): T {
    if (!(i >= 0 && i < this.length)) throw new RangeError(`record ${i} of ${this.length}`);
    const buf = Buffer.allocUnsafe(this.lengths[i] as number);
    readSync(this.fd, buf, 0, buf.length, this.offsets[i] as number);
    return packr.unpack(buf) as T;
  }

  /** Closes and deletes the scratch file. */
  dispose(): void {
    closeSync(this.fd);
    rmSync(this.file, { force: true });
  }
}
