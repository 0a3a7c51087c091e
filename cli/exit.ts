/** Exit codes: 0 ok, 1 runtime failure, 2 usage or input error (bad flag, scenario file, dataset row). */
import { CommanderError } from 'commander';
import { InputError } from '../scenarios/errors.ts';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  if (err instanceof InputError) return EXIT_USAGE;
  return EXIT_FAILURE;
}

export function reportError(err: unknown): void {
  if (err instanceof CommanderError) return; // commander already printed it
  const message = err instanceof InputError ? err.message : (err as Error)?.stack ?? String(err);
  process.stderr.write(`dits: ${message}\n`);
}
