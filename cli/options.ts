/** Parsers for option values: a bad value is a usage error naming the flag. */
import { InvalidArgumentError, type Command } from 'commander';

export function intOption(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a whole number, got '${value}'`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}, got ${n}`);
    return n;
  };
}

export function floatOption(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got '${value}'`);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}, got ${n}`);
    return n;
  };
}

/** A positive number of seconds, fractions allowed (`--request-timeout 0.2`). */
export function secondsOption() {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number of seconds, got '${value}'`);
    if (n <= 0) throw new InvalidArgumentError(`expected a number of seconds above 0, got ${n}`);
    return n;
  };
}

/** The options among `names` (camelCase keys) given on the command line, as the user typed them (`--kebab-case`). */
export function givenFlags(cmd: Command, names: readonly string[]): string[] {
  return names.filter((n) => cmd.getOptionValueSource(n) === 'cli').map((n) => `--${n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
}

/** One stderr line for flags a combination makes no use of. */
export function warnIgnored(flags: readonly string[], why: string): void {
  if (flags.length > 0) process.stderr.write(`dits: warning: ${flags.join(', ')} ignored: ${why}\n`);
}
