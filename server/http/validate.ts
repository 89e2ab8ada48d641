import type { z } from 'zod';
import { HttpError } from './errors';

/**
 * Bad input, with what is wrong with each field (field name -> message). JSON clients get the
 * fields beside error and message; a form shows each message next to its field (http/form.ts).
 */
export class InputError extends HttpError {
  constructor(
    status: number,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(status, message, undefined, { fields });
    this.name = 'InputError';
  }
}

/** Parses input at the edge; the first problem becomes the message of a 400 (or the given status). */
export function parse<S extends z.ZodType>(schema: S, input: unknown, status = 400): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InputError(status, result.error.issues[0]!.message, fieldMessages(result.error.issues));
}

/** The first message of each top-level field, in the order zod reported them. */
export function fieldMessages(issues: readonly z.core.$ZodIssue[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of issues) {
    const field = issue.path[0];
    if (typeof field === 'string' && !Object.hasOwn(fields, field)) fields[field] = issue.message;
  }
  return fields;
}
