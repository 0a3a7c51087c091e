/**
 * Exit codes: 0 ok, 1 runtime failure, 2 usage or input error (bad flag, scenario file, dataset
 * row), 3 finished with some tasks failed (their model requests outlasted every retry; the
 * outputs hold the rest and failures.jsonl lists them). `dits stress` exits 1 when an invariant broke.
 */
import { CommanderError } from 'commander';
import { InputError } from '../scenarios/errors.ts';
import { QueueUnavailableError } from '../workers/queue-errors.ts';
import { CapabilityError, EndpointsDownError, RequestFailedError } from '../engine/openai/errors.ts';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_PARTIAL = 3;
/** Stopped by Ctrl-C, with a resumable folder. */
export const EXIT_INTERRUPTED = 130;

/** Ctrl-C stopped the command; the message says how to continue. */
export class Interrupted extends Error {
  override name = 'Interrupted';
}

/** Checks ran to the end and some failed (dits stress): the report says which. */
export class ChecksFailed extends Error {
  override name = 'ChecksFailed';
}

/** Thrown after every output is written, when some tasks failed: the command finished, but not whole. */
export class PartialFailure extends Error {
  override name = 'PartialFailure';
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  if (err instanceof InputError) return EXIT_USAGE;
  if (err instanceof PartialFailure) return EXIT_PARTIAL;
  if (err instanceof Interrupted) return EXIT_INTERRUPTED;
  return EXIT_FAILURE;
}

/** Errors about the outside world (servers down, retries exhausted), not bugs: their message says it all. */
const OPERATIONAL = [InputError, PartialFailure, ChecksFailed, EndpointsDownError, RequestFailedError, CapabilityError, QueueUnavailableError] as const;

/** A run that stopped on a server failure; what finished is kept. */
export class RunStopped extends Error {
  override name = 'RunStopped';
}

export function reportError(err: unknown): void {
  if (err instanceof CommanderError) return; // commander already printed it
  const plain = err instanceof RunStopped || err instanceof Interrupted || OPERATIONAL.some((kind) => err instanceof kind);
  const message = plain ? (err as Error).message : (err as Error)?.stack ?? String(err);
  process.stderr.write(`dits: ${message}\n`);
}
