import { z } from 'zod';
import { idParam } from '../http/ids';

const optionalId = (what: string) => z.preprocess((value) => (value === '' ? undefined : value), idParam(what).optional());

/**
 * POST add/:integrationId: api_connection_id or oauth2_connection_id, or the picker's single radio
 * group `connection` = api:<id> | oauth2:<id>. Whether one is needed depends on the integration.
 */
export const addFormSchema = z.object({
  api_connection_id: optionalId('api_connection_id'),
  oauth2_connection_id: optionalId('oauth2_connection_id'),
  connection: z.preprocess((value) => (value === '' ? undefined : value), z.string().optional()),
});

/** Legacy bulk form: repeated integration_ids, plus connection_<integrationId> = api:<id> | oauth2:<id>. */
export const bulkFormSchema = z
  .object({
    integration_ids: z
      .union([z.string(), z.number(), z.array(z.union([z.string(), z.number()]))], {
        message: 'integration_ids must be a list of integration ids.',
      })
      .optional()
      .transform((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]).map(String)),
  })
  .catchall(z.unknown());

export const connectionRefSchema = z
  .string()
  .regex(/^(api|oauth2):[1-9][0-9]{0,9}$/, 'must be api:<id> or oauth2:<id>')
  .transform((value) => {
    const [kind, id] = value.split(':') as ['api' | 'oauth2', string];
    return { kind: kind === 'api' ? ('api_key' as const) : ('oauth2' as const), id: Number(id) };
  })
  .refine((ref) => ref.id <= 2147483647, 'has an id that is too large');

export const filterSchema = z.object({
  q: z.string().trim().max(100, 'Keep the filter under 100 characters.').optional().default(''),
});
