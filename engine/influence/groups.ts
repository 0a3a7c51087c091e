/**
 * Probe groups (§3.2 step 2): a seeded permutation of the candidate pairs cut into consecutive
 * groups of g; every pair of a group gets the group's influence. g = 1 is per-pair influence.
 */
import { Rng } from '../base/rng.ts';

export interface ProbeGroup {
  /** 0-based group id. */
  id: number;
  /** Indices into the candidate pairs, in permutation order. */
  members: number[];
}

export interface GroupingOptions {
  /** Pairs per group (the reference's `step_num`, default 5). */
  size: number;
  seed: number;
  /**
   * The reference probes ⌊n/g⌋ groups, leaving the last n mod g pairs without influence. dits
   * probes them as a smaller last group unless this is set.
   */
  dropPartialGroup?: boolean;
}

export const DEFAULT_GROUP_SIZE = 5;

export function probeGroups(pairCount: number, opts: GroupingOptions): ProbeGroup[] {
  if (!Number.isInteger(opts.size) || opts.size < 1) throw new RangeError(`group size must be a positive integer, got ${opts.size}`);
  const order = Rng.keyed(opts.seed, 'probe-groups').shuffle(Array.from({ length: pairCount }, (_, i) => i));
  const groups: ProbeGroup[] = [];
  for (let start = 0; start < order.length; start += opts.size) {
    const members = order.slice(start, start + opts.size);
    if (members.length < opts.size && opts.dropPartialGroup) break;
    groups.push({ id: groups.length, members });
  }
  return groups;
}
