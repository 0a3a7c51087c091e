/**
 * Dataset errors name the file, the row (1-based line, or item index in a JSON array) and the
 * field, so a user can open the file at the right place; the CLI maps them to exit code 2.
 */

import { InputError } from '../errors.ts';

export interface DatasetErrorPlace {
  file: string;
  line?: number;
  index?: number;
  field?: string;
}

export class DatasetError extends InputError {
  override readonly name = 'DatasetError';
  readonly file: string;
  readonly line?: number;
  readonly index?: number;
  readonly field?: string;

  constructor(place: DatasetErrorPlace, detail: string) {
    const where =
      place.line !== undefined ? `${place.file}:${place.line}` : place.index !== undefined ? `${place.file}: item ${place.index}` : place.file;
    super(`${where}: ${place.field !== undefined ? `field '${place.field}': ` : ''}${detail}`);
    this.file = place.file;
    if (place.line !== undefined) this.line = place.line;
    if (place.index !== undefined) this.index = place.index;
    if (place.field !== undefined) this.field = place.field;
  }
}

/**
 * A problem found inside one row, before the row's place is known to the code that found it;
 * the loader turns it into a DatasetError. `line` overrides the row's line when the problem is
 * on a later line of a multi-line row (a CBT example).
 */
export class RowProblem extends Error {
  constructor(
    readonly field: string | undefined,
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}
