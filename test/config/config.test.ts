import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

  it('says where the encryption key came from', () => {
    const dir = dataDir();
    expect(loadConfig({ DATA_DIR: dir }).encryptionKeySource).toBe(path.join(dir, 'secrets', 'encryption-key'));
    expect(loadConfig({ DATA_DIR: dir, ENCRYPTION_KEY: 'ab'.repeat(32) }).encryptionKeySource).toBe('ENCRYPTION_KEY');
  });

  it.each([
    ['encryption-key', 'abc', /secrets\/encryption-key is not a valid encryption key \(it must be 64 hexadecimal characters\)\. .*set ENCRYPTION_KEY/],
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
    const config = loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 's'.repeat(40), ENCRYPTION_KEY: 'ab'.repeat(32), DATA_DIR: dataDir(), PORT: '8080' });
    expect(config.isProduction).toBe(true);
    expect(config.port).toBe(8080);
  });
});
