import { ConfigError } from '../config';

/** Wrong arguments: the message (and usage) is shown and the tool exits with 2. */
export class UsageError extends Error {}

/** A request the tool turns down in words ("There is no team named ..."); exits with 1. */
export class Refusal extends Error {}

/**
 * Ends a command-line tool whose run failed. Errors a person can act on (usage, refusal, bad
 * configuration, a database another process holds, and any in `alsoKnown`) are printed as they
 * are; anything else is printed after `failed` ("Could not create the user: ...").
 */
export function endWithFailure(
  error: unknown,
  failed: string,
  { alsoKnown = [], usage }: { alsoKnown?: readonly (abstract new (...args: never[]) => Error)[]; usage?: string } = {},
): void {
  const known =
    error instanceof UsageError ||
    error instanceof Refusal ||
    error instanceof ConfigError ||
    alsoKnown.some((kind) => error instanceof kind) ||
    (error instanceof Error && error.name === 'EmbeddedDatabaseBusyError');
  console.error(known ? (error as Error).message : `${failed}: ${error instanceof Error ? error.message : String(error)}`);
  if (usage && error instanceof UsageError) console.error(usage);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}
