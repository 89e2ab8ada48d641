import { z } from 'zod';

/** Ids in URLs, forms and JSON: positive 32-bit integers; anything else is a 400 in words. */
export function idParam(what: string) {
  return z.preprocess(
    (value) => (typeof value === 'number' && Number.isFinite(value) ? String(value) : value),
    z
      .string({ message: `"${what}" must be a positive whole number.` })
      .regex(/^[1-9][0-9]{0,9}$/, `"${what}" must be a positive whole number.`)
      .transform(Number)
      .refine((n) => n <= 2147483647, `"${what}" is too large.`),
  );
}
