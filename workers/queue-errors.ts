/** Errors of the Redis queue that are about the outside world, not bugs: the CLI prints their message alone. */

/** Redis cannot be reached, or was lost for longer than the client waits; what finished is kept in the folder. */
export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError';
}
