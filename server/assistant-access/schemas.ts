import { z } from 'zod';
import { idParam } from '../http/ids';

export const tokenFormSchema = z.object({
  name: z
    .string({ message: 'Give the token a name, e.g. "Claude Desktop on Ana\'s laptop".' })
    .trim()
    .min(1, 'Give the token a name, e.g. "Claude Desktop on Ana\'s laptop".')
    .max(100, 'Keep the token name under 100 characters.'),
});

/** The permissions form: one `tools` value per ticked checkbox (none ticked: no field at all). */
export const toolsFormSchema = z.object({
  tools: z
    .union([z.string(), z.array(z.string())], { message: 'tools must be a list of tool names.' })
    .optional()
    .transform((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]))
    .pipe(z.array(z.string().max(200, 'A tool name is at most 200 characters.')).max(1000, 'Too many tools in one form.')),
});

export const callsQuerySchema = z.object({
  before: z.preprocess((value) => (value === '' ? undefined : value), idParam('before').optional()),
});
