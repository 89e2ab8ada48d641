import type { z } from 'zod';
import { HttpError } from './errors';

/** Parses input at the edge; the first problem becomes a 400 (or the given status) in plain words. */
export function parse<S extends z.ZodType>(schema: S, input: unknown, status = 400): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new HttpError(status, issue.message);
}
