/**
 * The errors the openai backend throws. Each says which request, which endpoint and why, so a
 * failed task's report can be read without the server's logs. A RequestFailedError is a
 * ModelRequestError: it fails its task, not the run; EndpointsDownError stops the run.
 */
import { ModelRequestError } from '../base/model-backend.ts';

export interface RequestFailure {
  method: string;
  path: string;
  /** The endpoint of the last attempt (null when no attempt reached one). */
  endpoint: string | null;
  /** The HTTP status of the last attempt, or null for a connection error or timeout. */
  status: number | null;
  /** What went wrong in the last attempt: the server's error message, or the transport error. */
  cause: string;
  attempts: number;
}

/** Retries exhausted, a status that is not retried (4xx other than 429), or a malformed response. */
export class RequestFailedError extends ModelRequestError {
  override name = 'RequestFailedError';
  readonly method: string;
  readonly path: string;
  readonly endpoint: string | null;
  readonly status: number | null;
  readonly attempts: number;

  constructor(f: RequestFailure) {
    const where = f.endpoint === null ? '' : ` on ${f.endpoint}`;
    const what = f.status === null ? f.cause : `${f.status}${f.cause ? `: ${f.cause}` : ''}`;
    super(`${f.method} ${f.path}${where} failed after ${f.attempts} attempt${f.attempts === 1 ? '' : 's'}: ${what}`);
    this.method = f.method;
    this.path = f.path;
    this.endpoint = f.endpoint;
    this.status = f.status;
    this.attempts = f.attempts;
  }
}

/** A 2xx response whose body lacks a field the client needs. Not retried. */
export class InvalidResponseError extends RequestFailedError {
  override name = 'InvalidResponseError';
}

/** Every endpoint stayed out of service for the down timeout. */
export class EndpointsDownError extends Error {
  override readonly name: string = 'EndpointsDownError';
  constructor(
    readonly downForMs: number,
    readonly endpoints: ReadonlyArray<{ url: string; lastError: string }>,
  ) {
    super(
      `every endpoint has been out of service for ${Math.round(downForMs / 1000)} s:\n` +
        endpoints.map((e) => `  ${e.url}: ${e.lastError}`).join('\n') +
        '\nCheck the servers. Work already answered is in the response cache: run the command again (`dits run --resume` for a run) once one answers.',
    );
  }
}

/** The server cannot do what was asked (no echo log-probabilities, no /tokenize, no runtime LoRA). */
export class CapabilityError extends Error {
  override readonly name: string = 'CapabilityError';
}

/** One failed attempt, as the retry loop sees it. Internal. */
export type AttemptKind = 'status' | 'network' | 'timeout';

export class AttemptError extends Error {
  override readonly name: string = 'AttemptError';
  constructor(
    readonly kind: AttemptKind,
    /** The HTTP status for kind 'status', else null. */
    readonly status: number | null,
    message: string,
    /** The server's Retry-After, in ms from now. */
    readonly retryAfterMs: number | undefined = undefined,
  ) {
    super(message);
  }
}
