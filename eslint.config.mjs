// Flat config: typescript-eslint's recommended rules over the TypeScript sources,
// plus the library's layer rule (eslint-plugin-boundaries).
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

const SRC = 'libs/dapr/src';

/**
 * The layers of libs/dapr/src, bottom first. A file may import its own layer
 * and the layers listed for it, nothing above:
 *   errors                      typed errors, Dapr error codes
 *   spi (+ spi/kit)             driver contracts and the driver kit (nest-dapr/spi)
 *   runtime                     options, component loading, registry, lifecycle: knows no driver
 *   driver                      components/<vendor>/: only the SPI, its kit and errors
 *   drivers-index               components/builtin-drivers.ts: the one list of built-in drivers
 *   observability, resiliency   cross-cutting; resiliency records through observability, never back
 *   operations                  the one operation runner: policy → span → metrics → typed error
 *   handlers                    the one handler explorer/binder, the built-in inbound policy, and the
 *                               only file allowed to know Nest internals (handlers/nest-internals.ts)
 *   block                       state, pubsub, bindings, invocation, secrets, lock, configuration: each on its own
 *   microservices               nest-dapr/microservices: the @nestjs/microservices transport and client over
 *                               the blocks; its host (microservices-host.ts) is in DaprModule and loads no
 *                               @nestjs/microservices
 *   root, testing               the composition root (module, public barrel) and nest-dapr/testing
 */
const layers = [
  { type: 'errors', pattern: `${SRC}/errors`, partialMatch: false },
  { type: 'spi', pattern: `${SRC}/spi`, partialMatch: false },
  { type: 'runtime', pattern: `${SRC}/runtime`, partialMatch: false },
  { type: 'driver', pattern: `${SRC}/components/*`, partialMatch: false, capture: ['vendor'] },
  { type: 'drivers-index', pattern: `${SRC}/components`, partialMatch: false },
  { type: 'observability', pattern: `${SRC}/observability`, partialMatch: false },
  { type: 'resiliency', pattern: `${SRC}/resiliency`, partialMatch: false },
  { type: 'operations', pattern: `${SRC}/operations`, partialMatch: false },
  { type: 'handlers', pattern: `${SRC}/handlers`, partialMatch: false },
  { type: 'block', pattern: `${SRC}/(state|pubsub|bindings|invocation|secrets|lock|configuration)`, partialMatch: false, capture: ['block'] },
  { type: 'microservices', pattern: `${SRC}/microservices`, partialMatch: false },
  { type: 'testing', pattern: `${SRC}/testing`, partialMatch: false },
  { type: 'root', pattern: SRC, partialMatch: false },
];

const allow = (from, to) => ({ from: { element: { type: from } }, allow: { to: { element: { types: { anyOf: to } } } } });

export default tseslint.config(
  { ignores: ['dist/**', 'libs/dapr/dist/**', 'consumers/**', 'node_modules/**', '.kafka/**', '.dapr/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: [`${SRC}/**/*.ts`],
    // Unit specs sit beside the code and may reach any layer to set a test up.
    ignores: [`${SRC}/**/*.spec.ts`],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': layers,
      'import/resolver': { node: { extensions: ['.ts', '.js'] } },
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: [
            allow('errors', ['errors']),
            allow('spi', ['spi', 'errors']),
            allow('runtime', ['runtime', 'spi', 'errors']),
            // A driver uses its own vendor folder, never another vendor's.
            {
              from: { element: { type: 'driver' } },
              allow: { to: { element: { type: 'driver', captured: { vendor: '{{ from.captured.vendor }}' } } } },
            },
            allow('driver', ['spi', 'errors']),
            allow('drivers-index', ['driver', 'spi']),
            allow('observability', ['observability', 'runtime', 'spi', 'errors']),
            allow('resiliency', ['resiliency', 'observability', 'runtime', 'spi', 'errors']),
            allow('operations', ['operations', 'resiliency', 'observability', 'runtime', 'spi', 'errors']),
            allow('handlers', ['handlers', 'operations', 'resiliency', 'observability', 'runtime', 'spi', 'errors']),
            {
              from: { element: { type: 'block' } },
              allow: { to: { element: { type: 'block', captured: { block: '{{ from.captured.block }}' } } } },
            },
            {
              // The transactional outbox (state/outbox/) lives in the state block's transaction path and
              // publishes through the pub/sub block, as Dapr's does; never the other way round.
              from: { element: { type: 'block', captured: { block: 'state' } } },
              allow: { to: { element: { type: 'block', captured: { block: 'pubsub' } } } },
            },
            allow('block', ['handlers', 'operations', 'resiliency', 'observability', 'runtime', 'spi', 'errors']),
            allow('microservices', ['microservices', 'block', 'handlers', 'operations', 'resiliency', 'observability', 'runtime', 'spi', 'errors']),
            allow('testing', ['testing', 'root', 'microservices', 'block', 'drivers-index', 'driver', 'handlers', 'operations', 'resiliency', 'observability', 'runtime', 'spi', 'errors']),
            allow('root', ['root', 'testing', 'microservices', 'block', 'drivers-index', 'driver', 'handlers', 'operations', 'resiliency', 'observability', 'runtime', 'spi', 'errors']),
          ],
        },
      ],
    },
  },
  {
    // Nest internals (deep imports, `@nestjs/*/internal`) only in the one adapter file.
    files: [`${SRC}/**/*.ts`],
    ignores: [`${SRC}/handlers/nest-internals.ts`, `${SRC}/**/*.spec.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@nestjs/*/*'], message: 'Nest internals belong in libs/dapr/src/handlers/nest-internals.ts only.' }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
