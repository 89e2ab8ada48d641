/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/e2e/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  // The default output, then the name (and so the reason) of every skipped test.
  reporters: ['default', '<rootDir>/test/helpers/skip-reporter.js'],
  testTimeout: 30000,
  // The embedded database serves one connection at a time; a real server takes two workers.
  maxWorkers: process.env.TEST_DATABASE_URL ? 2 : 1,
};
