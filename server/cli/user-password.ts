import { parseArgs } from 'node:util';
import { z } from 'zod';
import { hashPassword } from '../auth/password';
import { loadConfig } from '../config';
import { openDatabase } from '../db/open';
import { setUserPassword } from '../users/queries';
import { endWithFailure, Refusal, UsageError } from './failure';

const USAGE = 'Usage: npm run user:password -- --email E   (asks for the new password; or pipe it on standard input)';

const emailSchema = z
  .string({ message: '--email is required.' })
  .trim()
  .toLowerCase()
  .regex(/^[^\s@]+@[^\s@]+$/, '--email must be an email address.');
const passwordSchema = z
  .string()
  .min(8, 'The password must be at least 8 characters.')
  .max(1000, 'The password must be at most 1,000 characters.');

/**
 * Resets a user's password: asks twice without echoing it in a terminal, or reads one line from
 * standard input when it is not a terminal (scripts). Signs the user out everywhere. Works on
 * DATABASE_URL or the embedded data directory while the app is stopped.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { email: { type: 'string' } }, strict: true });
  const email = emailSchema.safeParse(values.email);
  if (!email.success) throw new UsageError(`${email.error.issues[0]!.message}\n${USAGE}`);

  const password = process.stdin.isTTY ? await askTwice(`New password for ${email.data}: `) : await readLine();
  const parsed = passwordSchema.safeParse(password);
  if (!parsed.success) throw new Refusal(`${parsed.error.issues[0]!.message} Nothing was changed.`);

  const db = await openDatabase(loadConfig());
  try {
    const hash = await hashPassword(parsed.data);
    const changed = await db.withOwner((tx) => setUserPassword(tx, email.data, hash));
    if (!changed) throw new Refusal(`There is no user ${email.data}; nothing was changed.`);
    console.log(
      `Changed the password of ${email.data} and signed them out everywhere (${changed.sessions} ${changed.sessions === 1 ? 'session' : 'sessions'}).`,
    );
  } finally {
    await db.close();
  }
}

async function askTwice(prompt: string): Promise<string> {
  const first = await askHidden(prompt);
  const second = await askHidden('Again, to be sure: ');
  if (first !== second) throw new Refusal('The two passwords differ; nothing was changed.');
  return first;
}

/** Reads a line from the terminal with echo off. */
function askHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stdout.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish(() => resolve(value));
        if (char === '\u0003') return finish(() => reject(new Refusal('Cancelled; nothing was changed.')));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    const finish = (then: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stdout.write('\n');
      then();
    };
    stdin.on('data', onData);
  });
}

async function readLine(): Promise<string> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  return input.split(/\r?\n/)[0] ?? '';
}

main().catch((error: unknown) => endWithFailure(error, 'Could not change the password'));
