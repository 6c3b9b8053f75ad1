/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/e2e/'],
  transform: { '^.+\\.(ts|js)$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  // jose is ESM-only; Jest on Node 20 cannot require(esm), so it is compiled like our sources.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  // PGlite and child processes need time to boot; tests never assert on wall-clock time.
  testTimeout: 60000,
  maxWorkers: 2,
};
