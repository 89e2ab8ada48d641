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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
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
  demoPassword: string | undefined;
  composio: {
    apiKey: string | undefined;
    baseURL: string | undefined;
    /** The Composio user id of the first team created on an empty database; never a fallback for other teams. */
    firstTeamUserId: string | undefined;
    dashboardUrl: string;
  };
  logLevel: string;
  trustProxy: string | undefined;
  demoMode: boolean;
  /** `npm run dev`: templates and static files are re-read on every request and not cached. */
  devMode: boolean;
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
    demoPassword: e.DEMO_PASSWORD,
    composio: {
      apiKey: e.COMPOSIO_API_KEY,
      baseURL: e.COMPOSIO_BASE_URL,
      firstTeamUserId: e.COMPOSIO_USER_ID,
      dashboardUrl: e.COMPOSIO_DASHBOARD_URL,
    },
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    demoMode: e.DEMO_MODE === '1' || e.DEMO_MODE === 'true',
    devMode: e.DEV_MODE === '1' || e.DEV_MODE === 'true',
    mcpRateLimit: e.MCP_RATE_LIMIT,
  };
}

function readOrCreateSecret(dataDir: string, name: string, bytes: number): string {
  const file = path.join(dataDir, 'secrets', name);
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(bytes).toString('hex');
  // 'wx' so two instances starting together cannot overwrite each other's secret.
  try {
    fs.writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim();
    throw error;
  }
}
