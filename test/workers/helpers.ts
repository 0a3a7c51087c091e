/** What the checkpoint tests share. */
import { expect } from 'vitest';

/** The task count a resumed search checkpoint says it holds. */
export function tasksHeld(stderr: string): number {
  const m = /search\.ckpt: continuing after the (\d+) tasks it holds/.exec(stderr);
  expect(m, stderr).not.toBeNull();
  return Number(m![1]);
}
