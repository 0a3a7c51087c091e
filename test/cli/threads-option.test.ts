import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { AUTO_THREADS_MIN, threadsFor, threadsOption } from '../../cli/threads.ts';

describe('--threads', () => {
  it('auto keeps small stages in the main thread and gives large ones the core count', () => {
    expect(threadsFor('auto', 'search', AUTO_THREADS_MIN.search - 1)).toBe(1);
    expect(threadsFor('auto', 'search', AUTO_THREADS_MIN.search)).toBe(availableParallelism());
    expect(threadsFor('auto', 'probes', AUTO_THREADS_MIN.probes - 1)).toBe(1);
    expect(threadsFor('auto', 'probes', 10 * AUTO_THREADS_MIN.probes)).toBe(availableParallelism());
  });

  it('takes a number as given, whatever the stage size', () => {
    expect(threadsFor(3, 'search', 1)).toBe(3);
    expect(threadsFor(1, 'probes', 1_000_000)).toBe(1);
  });

  it('reads auto or a whole number from 1 to 256, and names what it got otherwise', () => {
    expect(threadsOption('auto')).toBe('auto');
    expect(threadsOption('4')).toBe(4);
    expect(() => threadsOption('0')).toThrow(/from 1 to 256, got 0/);
    expect(() => threadsOption('two')).toThrow(/expected auto or a whole number, got 'two'/);
    expect(() => threadsOption('1.5')).toThrow(/got '1.5'/);
  });
});
