import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ConfigError, loadConfig } from '../../server/config';

const dataDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-config-'));

describe('loadConfig', () => {
  it('applies defaults and generates secrets once, kept under DATA_DIR', () => {
    const dir = dataDir();
    const first = loadConfig({ DATA_DIR: dir });
    expect(first.port).toBe(3000);
    expect(first.databaseUrl).toBeUndefined();
    expect(first.encryptionKey).toHaveLength(32);
    const second = loadConfig({ DATA_DIR: dir });
    expect(second.sessionSecret).toBe(first.sessionSecret);
    expect(second.encryptionKey.equals(first.encryptionKey)).toBe(true);
    expect(fs.statSync(path.join(dir, 'secrets', 'session-secret')).mode & 0o777).toBe(0o600);
  });

  it.each([
    [{ PORT: 'abc' }, /PORT must be a number/],
    [{ PORT: '70000' }, /PORT must be between 0 and 65535/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must start with postgres:\/\//],
    [{ ENCRYPTION_KEY: 'short' }, /ENCRYPTION_KEY must be 64 hexadecimal characters/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ COMPOSIO_BASE_URL: 'not a url' }, /COMPOSIO_BASE_URL must be a URL/],
    [{ NODE_ENV: 'production' }, /SESSION_SECRET is required when NODE_ENV=production/],
    [{ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40) }, /ENCRYPTION_KEY is required when NODE_ENV=production/],
  ])('rejects %j with one clear line', (env, message) => {
    const run = () => loadConfig({ DATA_DIR: dataDir(), ...env });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
  });

  it('generates one set of secrets when several processes start together on a new DATA_DIR', async () => {
    const dir = dataDir();
    const root = path.resolve(__dirname, '..', '..');
    const start = () =>
      promisify(execFile)(path.join(root, 'node_modules', '.bin', 'tsx'), ['test/helpers/print-secrets.ts'], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', DATA_DIR: dir },
        timeout: 60_000,
      }).then((r) => JSON.parse(r.stdout) as { encryptionKey: string; sessionSecret: string });
    const seen = await Promise.all([start(), start(), start(), start()]);
    expect(seen[0]!.encryptionKey).toMatch(/^[0-9a-f]{64}$/);
    expect(seen).toEqual(Array.from({ length: 4 }, () => seen[0]));
    expect(fs.readFileSync(path.join(dir, 'secrets', 'encryption-key'), 'utf8')).toBe(seen[0]!.encryptionKey);
    expect(fs.readdirSync(path.join(dir, 'secrets')).sort()).toEqual(['encryption-key', 'session-secret']);
  }, 90_000);

  it('says where the encryption key came from', () => {
    const dir = dataDir();
    expect(loadConfig({ DATA_DIR: dir }).encryptionKeySource).toBe(path.join(dir, 'secrets', 'encryption-key'));
    expect(loadConfig({ DATA_DIR: dir, ENCRYPTION_KEY: 'ab'.repeat(32) }).encryptionKeySource).toBe('ENCRYPTION_KEY');
  });

  it.each([
    [
      'encryption-key',
      'abc',
      /secrets\/encryption-key is not a valid encryption key \(it must be 64 hexadecimal characters\)\. .*set ENCRYPTION_KEY/,
    ],
    ['encryption-key', `${'z'.repeat(64)}`, /is not a valid encryption key/],
    ['encryption-key', '', /is not a valid encryption key/],
    ['session-secret', 'short', /secrets\/session-secret is not a valid session secret \(it must be at least 32 characters\)/],
  ])('refuses a damaged generated %s file (%j) in one line', (name, content, message) => {
    const dir = dataDir();
    fs.mkdirSync(path.join(dir, 'secrets'));
    fs.writeFileSync(path.join(dir, 'secrets', name), content);
    const run = () => loadConfig({ DATA_DIR: dir });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
    expect(run).not.toThrow(/\n/);
  });

  it('accepts a complete production configuration', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      SESSION_SECRET: 's'.repeat(40),
      ENCRYPTION_KEY: 'ab'.repeat(32),
      DATA_DIR: dataDir(),
      PORT: '8080',
    });
    expect(config.isProduction).toBe(true);
    expect(config.port).toBe(8080);
  });
});
