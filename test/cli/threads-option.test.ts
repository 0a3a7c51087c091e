import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { AUTO_THREADS_MIN, threadsCapNotice, threadsChooser, threadsFor, threadsOption } from '../../cli/threads.ts';

describe('--threads', () => {
  it('auto keeps small stages in the main thread and gives large ones the core count', () => {
    expect(threadsFor('auto', 'search', AUTO_THREADS_MIN.search - 1)).toBe(1);
    expect(threadsFor('auto', 'search', AUTO_THREADS_MIN.search)).toBe(availableParallelism());
    expect(threadsFor('auto', 'probes', AUTO_THREADS_MIN.probes - 1)).toBe(1);
    expect(threadsFor('auto', 'probes', 10 * AUTO_THREADS_MIN.probes)).toBe(availableParallelism());
  });

  it('caps a number by the stage\'s tasks or probes and by the cores, and says why', () => {
    const cores = availableParallelism();
    expect(threadsFor(64, 'search', 5)).toBe(Math.min(5, cores));
    expect(threadsFor(3, 'search', 1)).toBe(1);
    expect(threadsFor(cores, 'probes', 1_000_000)).toBe(cores);
    expect(threadsFor(1, 'probes', 1_000_000)).toBe(1);
    expect(threadsFor(4, 'search', 0)).toBe(1);
    expect(threadsCapNotice(64, 'search', 5)).toBe(`--threads 64 capped to ${Math.min(5, cores)} for 5 search tasks on ${cores} cores: a stage starts no more threads than it has tasks or probes, nor more than the cores`);
    expect(threadsCapNotice(1, 'search', 5)).toBeUndefined();
    expect(threadsCapNotice('auto', 'search', 5)).toBeUndefined();
  });

  it('says it capped once, however many stages it caps', () => {
    const said: string[] = [];
    const choose = threadsChooser(64, (line) => said.push(line));
    expect([choose('search', 5), choose('probes', 3), choose('search', 5)]).toEqual([Math.min(5, availableParallelism()), Math.min(3, availableParallelism()), Math.min(5, availableParallelism())]);
    expect(said).toHaveLength(1);
  });

  it('reads auto or a whole number from 1 to 256, and names what it got otherwise', () => {
    expect(threadsOption('auto')).toBe('auto');
    expect(threadsOption('4')).toBe(4);
    expect(() => threadsOption('0')).toThrow(/from 1 to 256, got 0/);
    expect(() => threadsOption('two')).toThrow(/expected auto or a whole number, got 'two'/);
    expect(() => threadsOption('1.5')).toThrow(/got '1.5'/);
  });
});
