import { z } from 'zod';

const schemas = new Map<string, ReturnType<typeof buildIdParam>>();

/**
 * Ids in URLs, forms and JSON: positive 32-bit integers; anything else is a 400 in words. One
 * schema per name, built once: building zod schemas is far costlier than running them, and every
 * request parses an id or two.
 */
export function idParam(what: string) {
  let schema = schemas.get(what);
  if (!schema) schemas.set(what, (schema = buildIdParam(what)));
  return schema;
}

function buildIdParam(what: string) {
  return z.preprocess(
    (value) => (typeof value === 'number' && Number.isFinite(value) ? String(value) : value),
    z
      .string({ message: `"${what}" must be a positive whole number.` })
      .regex(/^[1-9][0-9]{0,9}$/, `"${what}" must be a positive whole number.`)
      .transform(Number)
      .refine((n) => n <= 2147483647, `"${what}" is too large.`),
  );
}
