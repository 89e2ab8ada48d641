import { z } from 'zod';
import { idParam } from '../http/ids';

/**
 * POST /app/team/:teamId/connect/:provider: from an assistant's picker, prompt_id says where to come back.
 * The field keeps the assistant's first name because the picker and legacy clients post it (docs/glossary.md).
 */
export const startConnectSchema = z.object({
  prompt_id: z.preprocess((value) => (value === '' ? undefined : value), idParam('prompt_id').optional()),
});

/** The callback's query: only our state is read; whatever else Composio adds is ignored. */
export const callbackQuerySchema = z.object({
  state: z
    .string({ message: 'This page needs the state Switchboard gave the connection link. Press Connect again.' })
    .regex(/^[A-Za-z0-9_-]{43}$/, 'That connection link is not one Switchboard made. Press Connect again.'),
});
