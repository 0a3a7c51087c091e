/**
 * Edit-distance ratios of §2.3, on characters (Levenshtein distance from fastest-levenshtein).
 */
import { distance } from 'fastest-levenshtein';

/** Selection filter: distance / (longer length + 1). A candidate below 0.25 against an earlier selection is dropped. */
export function selectionRatio(a: string, b: string): number {
  return distance(a, b) / (Math.max(a.length, b.length) + 1);
}

/** Merge rule: distance / (new length + 1). A new utterance below 0.1 against a sibling merges into it. */
export function mergeRatio(fresh: string, existing: string): number {
  return distance(fresh, existing) / (fresh.length + 1);
}

export const SELECTION_FILTER = 0.25;
export const MERGE_THRESHOLD = 0.1;
