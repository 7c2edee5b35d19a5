/**
 * Jest 30 in CommonJS mode. NestJS 12 ships ESM only, so @nestjs (and the few
 * ESM-only packages it pulls in) are transformed to CommonJS by swc; our own
 * TypeScript goes through swc with decorator metadata for Nest DI.
 * `tsc --noEmit` (npm run typecheck) is the type gate.
 */
const { sourceEntries } = require('./libs/dapr/scripts/source-entries.cjs');

const swcTs = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
const swcJs = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
];

module.exports = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.test.ts'],
  transform: {
    '^.+\\.ts$': swcTs,
    '^.+\\.(mjs|js)$': swcJs,
  },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|file-type|strtok3|token-types|peek-readable|@tokenizer|uint8array-extras)/)'],
  // `nest-dapr`, `nest-dapr/testing`, `nest-dapr/spi`, … → their sources (from the package's exports):
  // tests import the public entry points by name and run without a build.
  moduleNameMapper: Object.fromEntries(
    Object.entries(sourceEntries()).map(([name, file]) => [`^${name.replace('/', '\\/')}$`, file]),
  ),
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testTimeout: 30000,
  // No forceExit (npm test does not pass it either): every suite closes what it opens, so Jest
  // exits on its own. A suite that leaks a socket or timer keeps Jest from exiting and prints
  // "Jest did not exit one second after the test run has completed": that is a bug to fix
  // (find it with `npx jest <suite> --detectOpenHandles`), not something to paper over.
  forceExit: false,
};
