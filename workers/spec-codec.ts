/**
 * How specs and jobs travel to workers that did not start with them (a run's one thread pool, the
 * Redis queue): plain msgpack, and the hash a spec is stored under.
 */
import { createHash } from 'node:crypto';
import { Packr } from 'msgpackr';

// Plain msgpack (no shared structures): the bytes depend only on the value, so equal specs hash alike.
const packr = new Packr({ useRecords: false, moreTypes: false });
// The packer reuses its buffer: each value gets a copy of its own bytes.
export const pack = (value: unknown): Buffer => Buffer.from(packr.pack(value));
export const unpack = <T>(bytes: Uint8Array): T => packr.unpack(bytes) as T;

export const hashOf = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex').slice(0, 32);
