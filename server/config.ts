import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** The only reader of process.env. Everything else receives a Config. */

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535')
    .default(3000),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
      .optional(),
  ),
  DATA_DIR: z.string().trim().min(1, 'must not be empty').default('./data'),
  SESSION_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  ENCRYPTION_KEY: optionalString.pipe(
    z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hexadecimal characters (32 bytes); generate one with: openssl rand -hex 32')
      .optional(),
  ),
  DEMO_PASSWORD: optionalString.pipe(z.string().min(8, 'must be at least 8 characters').optional()),
  COMPOSIO_API_KEY: optionalString,
  COMPOSIO_BASE_URL: optionalString.pipe(z.url({ message: 'must be a URL such as https://backend.composio.dev' }).optional()),
  COMPOSIO_USER_ID: optionalString.pipe(z.string().max(200, 'must be at most 200 characters').optional()),
  COMPOSIO_DASHBOARD_URL: z.url({ message: 'must be a URL' }).default('https://platform.composio.dev'),
  COMPOSIO_WEBHOOK_SECRET: optionalString.pipe(
    z.string().min(16, 'must be at least 16 characters (copy it from the webhook subscription in Composio)').optional(),
  ),
  SYNC_INTERVAL: z.coerce
    .number({ message: 'must be a number of minutes' })
    .int('must be a whole number of minutes')
    .min(0, 'must be 0 (off) or a number of minutes')
    .max(24 * 60, 'must be at most 1440 minutes (a day)')
    .default(15),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty'], { message: "must be 'json' or 'pretty'" }).optional(),
  TRUST_PROXY: optionalString,
  DEMO_MODE: z.enum(['0', '1', 'true', 'false']).optional(),
  DEV_MODE: z.enum(['0', '1', 'true', 'false']).optional(),
  MCP_RATE_LIMIT: z.coerce
    .number({ message: 'must be a number of tool calls a minute' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(100_000, 'must be at most 100000')
    .default(60),
});

export interface Config {
  env: 'development' | 'production' | 'test';
  isProduction: boolean;
  port: number;
  databaseUrl: string | undefined;
  dataDir: string;
  sessionSecret: string;
  encryptionKey: Buffer;
  /** Where the key came from, for messages: 'ENCRYPTION_KEY', or the path of the generated key file. */
  encryptionKeySource: string;
  demoPassword: string | undefined;
  composio: {
    apiKey: string | undefined;
    baseURL: string | undefined;
    /** The Composio user id of the first team created on an empty database; never a fallback for other teams. */
    firstTeamUserId: string | undefined;
    dashboardUrl: string;
    /** Verifies POST /webhooks/composio; unset: the route answers 404 and nothing is written. */
    webhookSecret: string | undefined;
  };
  /** Minutes between background syncs of every team; 0 turns the background sync off. */
  syncIntervalMinutes: number;
  logLevel: string;
  trustProxy: string | undefined;
  demoMode: boolean;
  /** `npm run dev`: templates and static files are re-read on every request and not cached. */
  devMode: boolean;
  logFormat: 'json' | 'pretty';
  /** MCP tools/call messages per assistant token per minute. */
  mcpRateLimit: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Validates the environment. Outside production, missing secrets are generated once and kept
 * under DATA_DIR so sessions and encrypted keys survive restarts.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid configuration: ${String(issue.path[0])} ${issue.message}.`);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  const dataDir = path.resolve(e.DATA_DIR);

  if (isProduction) {
    for (const name of ['SESSION_SECRET', 'ENCRYPTION_KEY'] as const) {
      if (!e[name]) throw new ConfigError(`Invalid configuration: ${name} is required when NODE_ENV=production.`);
    }
  }
  const sessionSecret = e.SESSION_SECRET ?? readOrCreateSecret(dataDir, 'session-secret', 32);
  const encryptionKeyHex = e.ENCRYPTION_KEY ?? readOrCreateSecret(dataDir, 'encryption-key', 32);

  return {
    env: e.NODE_ENV,
    isProduction,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    dataDir,
    sessionSecret,
    encryptionKey: Buffer.from(encryptionKeyHex, 'hex'),
    encryptionKeySource: e.ENCRYPTION_KEY ? 'ENCRYPTION_KEY' : generatedKeyFile(dataDir),
    demoPassword: e.DEMO_PASSWORD,
    composio: {
      apiKey: e.COMPOSIO_API_KEY,
      baseURL: e.COMPOSIO_BASE_URL,
      firstTeamUserId: e.COMPOSIO_USER_ID,
      dashboardUrl: e.COMPOSIO_DASHBOARD_URL,
      webhookSecret: e.COMPOSIO_WEBHOOK_SECRET,
    },
    syncIntervalMinutes: e.SYNC_INTERVAL,
    logLevel: e.LOG_LEVEL,
    // Readable lines for a person at a terminal (npm run dev, npm run demo); JSON lines otherwise.
    logFormat: e.LOG_FORMAT ?? (e.DEV_MODE === '1' || e.DEV_MODE === 'true' ? 'pretty' : 'json'),
    trustProxy: e.TRUST_PROXY,
    demoMode: e.DEMO_MODE === '1' || e.DEMO_MODE === 'true',
    devMode: e.DEV_MODE === '1' || e.DEV_MODE === 'true',
    mcpRateLimit: e.MCP_RATE_LIMIT,
  };
}

const ENCRYPTION_KEY_PATTERN = /^[0-9a-fA-F]{64}$/;

/** The file that holds the generated encryption key when ENCRYPTION_KEY is not set. */
export function generatedKeyFile(dataDir: string): string {
  return path.join(dataDir, 'secrets', 'encryption-key');
}

/** The generated encryption key, or null when there is none yet; a malformed file is refused. */
export function readGeneratedEncryptionKey(dataDir: string): Buffer | null {
  const file = generatedKeyFile(dataDir);
  let hex: string;
  try {
    hex = fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  checkSecret(file, 'encryption-key', hex);
  return Buffer.from(hex, 'hex');
}

/** Replaces the generated encryption key (after a rotation); the old file is never left half-written. */
export function replaceGeneratedEncryptionKey(dataDir: string, key: Buffer): void {
  const file = generatedKeyFile(dataDir);
  const temp = `${file}.${process.pid}.new`;
  fs.writeFileSync(temp, key.toString('hex'), { mode: 0o600 });
  fs.renameSync(temp, file);
}

function readOrCreateSecret(dataDir: string, name: string, bytes: number): string {
  const file = path.join(dataDir, 'secrets', name);
  try {
    return checkSecret(file, name, fs.readFileSync(file, 'utf8').trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(bytes).toString('hex');
  // Written aside, then linked into place: link() fails if the file exists, so two instances starting
  // together cannot overwrite each other's secret, and neither can read a half-written one.
  const temp = `${file}.${process.pid}.new`;
  fs.writeFileSync(temp, secret, { mode: 0o600 });
  try {
    fs.linkSync(temp, file);
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return checkSecret(file, name, fs.readFileSync(file, 'utf8').trim());
    throw error;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/** A generated secret that was damaged or edited is refused rather than used: a wrong key would encrypt new API keys with it. */
function checkSecret(file: string, name: string, value: string): string {
  if (name === 'encryption-key' && !ENCRYPTION_KEY_PATTERN.test(value)) {
    throw new ConfigError(
      `Invalid configuration: ${file} is not a valid encryption key (it must be 64 hexadecimal characters). ` +
        'It is used because ENCRYPTION_KEY is not set: restore the file from a backup, or set ENCRYPTION_KEY to the key your stored API keys were encrypted with.',
    );
  }
  if (name === 'session-secret' && value.length < 32) {
    throw new ConfigError(
      `Invalid configuration: ${file} is not a valid session secret (it must be at least 32 characters). Delete it to have a new one generated (everyone is signed out), or set SESSION_SECRET.`,
    );
  }
  return value;
}
