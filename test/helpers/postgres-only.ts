/**
 * Tests that need a PostgreSQL server (several connections, CREATE DATABASE, pg-boss). On the
 * embedded database they are skipped, and their name says why, so `npm test` never reports a skip
 * without a reason (test/helpers/skip-reporter.js lists them after the summary).
 */
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const WHY = 'skipped: needs a PostgreSQL server, set TEST_DATABASE_URL to run it';

export const itOnPostgres = (name: string, fn: jest.ProvidesCallback, timeout?: number): void =>
  onPostgres ? it(name, fn, timeout) : it.skip(`${name} (${WHY})`, fn, timeout);

export const describeOnPostgres = (name: string, fn: jest.EmptyFunction): void =>
  onPostgres ? describe(name, fn) : describe.skip(`${name} (${WHY})`, fn);
