/**
 * An InputError thrown in a worker thread reaches the main thread through a structured clone,
 * which keeps an error's message and cause but not its class: the CLI would take it for a bug
 * and print its stack. It crosses as an Error marked in its cause, and is made an InputError again.
 */
import { InputError } from '../scenarios/errors.ts';

const MARK = 'dits:input-error';

/** In the worker: what to throw in place of `err`. */
export function crossable(err: unknown): unknown {
  return err instanceof InputError ? new Error(err.message, { cause: MARK }) : err;
}

/** In the main thread: the error a worker threw, an InputError again when it was one. */
export function fromWorker(err: unknown): unknown {
  return err instanceof Error && err.cause === MARK ? new InputError(err.message) : err;
}
