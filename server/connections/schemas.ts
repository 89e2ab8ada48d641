import { z } from 'zod';

export const providerParam = z.string().regex(/^[a-z0-9_]{1,50}$/, 'That is not a provider name Switchboard knows.');

/**
 * "I have seen what this takes away": forms send confirm=yes, JSON sends true. Absent is false, so
 * a change that takes connections away from assistants asks first.
 */
export const confirmField = z.preprocess(
  (value) => (value === undefined || value === '' ? false : value === 'yes' || value === 'true' ? true : value === 'false' ? false : value),
  z.boolean({ message: 'confirm must be "yes" (a form) or true (JSON).' }),
);

/** HTML forms send "true"/"false"; JSON sends booleans. */
export const toggleSchema = z.object({
  enabled: z.preprocess(
    (value) => (value === 'true' ? true : value === 'false' ? false : value),
    z.boolean({ message: 'Say whether the connection should be enabled: "enabled" must be true or false.' }),
  ),
  confirm: confirmField,
});

export const syncSchema = z.object({ confirm: confirmField });

export const apiKeySchema = z.object({
  label: z
    .string({ message: 'Give the key a label, e.g. "Production key".' })
    .trim()
    .min(1, 'Give the key a label, e.g. "Production key".')
    .max(100, 'Keep the label under 100 characters.'),
  key: z
    .string({ message: 'Paste the API key.' })
    .trim()
    .min(8, 'That API key is too short: paste the whole key.')
    .max(4096, 'That API key is too long.')
    .regex(/^\S+$/, 'An API key has no spaces in it: paste only the key.'),
});

/** ?page= of a list: a whole number from 1; absent means the first page. */
export const pageQuerySchema = z.object({
  page: z.preprocess(
    (value) => (value === undefined || value === '' ? 1 : value),
    z.coerce
      .number({ message: 'page must be a number.' })
      .int('page must be a whole number.')
      .min(1, 'page starts at 1.')
      .max(1_000_000, 'page is too large.'),
  ),
});
