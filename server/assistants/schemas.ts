import { z } from 'zod';

export const assistantFormSchema = z.object({
  name: z
    .string({ message: 'Give the assistant a name.' })
    .trim()
    .min(1, 'Give the assistant a name.')
    .max(100, 'Keep the name under 100 characters.'),
  description: z.string().trim().max(500, 'Keep the description under 500 characters.').default(''),
});
