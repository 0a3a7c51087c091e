/** Errors about user input: they name the file, the place and the field, and map to exit code 2. */
export class InputError extends Error {
  override readonly name: string = 'InputError';
}

/** One problem in a scenario file, located by line and column when the file has them. */
export interface ScenarioIssue {
  field: string;
  message: string;
  line?: number;
  column?: number;
}

/** `file:line:column: field: message`, the way compilers print a place. */
export function formatIssue(file: string, i: ScenarioIssue): string {
  return `${file}${i.line !== undefined ? `:${i.line}:${i.column ?? 1}` : ''}: ${i.field ? `${i.field}: ` : ''}${i.message}`;
}

export class ScenarioFileError extends InputError {
  constructor(
    readonly file: string,
    readonly issues: readonly ScenarioIssue[],
  ) {
    super(issues.map((i) => formatIssue(file, i)).join('\n'));
  }
}
