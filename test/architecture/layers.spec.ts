import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The layer rule of eslint.config.mjs (eslint-plugin-boundaries) fails
 * `npm run lint` on an import that points up or across the layers. Each case
 * lints one line as if it were a file in that folder (ESLint's --stdin), with
 * the repository's own configuration.
 */
const ROOT = join(__dirname, '..', '..');
const SRC = 'libs/dapr/src';

function lint(file: string, source: string): string[] {
  const res = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--stdin', '--stdin-filename', `${SRC}/${file}`, '--format', 'json'],
    { cwd: ROOT, input: source, encoding: 'utf8' },
  );
  const [report] = JSON.parse(res.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  return report.messages.filter((m) => m.ruleId === 'boundaries/dependencies').map((m) => m.message);
}

describe('layer rule (npm run lint)', () => {
  jest.setTimeout(60_000);

  it.each([
    ['the runtime importing a driver', 'runtime/probe.ts', "import { KafkaPubSub } from '../components/kafka/kafka.pubsub';\nvoid KafkaPubSub;\n", /"runtime" to elements of type "driver"/],
    ['the runtime importing the built-in driver list', 'runtime/probe.ts', "import { BUILTIN_DRIVERS } from '../components/builtin-drivers';\nvoid BUILTIN_DRIVERS;\n", /"runtime" to elements of type "drivers-index"/],
    ['the SPI importing a block', 'spi/probe.ts', "import type { StateQuery } from '../state/state.interfaces';\nexport type Q = StateQuery;\n", /"spi" to elements of type "block"/],
    ['a driver importing the runtime', 'components/redis/probe.ts', "import { ComponentRuntime } from '../../runtime/component-runtime';\nvoid ComponentRuntime;\n", /"driver".*to elements of type "runtime"/],
    ['a driver importing another vendor', 'components/redis/probe.ts', "import { KafkaPubSub } from '../kafka/kafka.pubsub';\nvoid KafkaPubSub;\n", /vendor="redis" to elements of type "driver".*vendor="kafka"/],
    ['observability importing resiliency', 'observability/probe.ts', "import { ResiliencyService } from '../resiliency/resiliency.service';\nvoid ResiliencyService;\n", /"observability" to elements of type "resiliency"/],
    // state → pubsub is the one allowed crossing (the transactional outbox publishes); the way back is not.
    ['a block importing another block', 'pubsub/probe.ts', "import { StateService } from '../state/state.service';\nvoid StateService;\n", /block="pubsub" to elements of type "block".*block="state"/],
    ['a new block importing another block', 'lock/probe.ts', "import { StateService } from '../state/state.service';\nvoid StateService;\n", /block="lock" to elements of type "block".*block="state"/],
    ['errors importing the runtime', 'errors/probe.ts', "import { ComponentRuntime } from '../runtime/component-runtime';\nvoid ComponentRuntime;\n", /"errors" to elements of type "runtime"/],
  ])('fails %s', (_what, file, source, message) => {
    const messages = lint(file, source);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(message);
  });

  it('passes imports that point down', () => {
    expect(lint('state/probe.ts', "import { ResiliencyService } from '../resiliency/resiliency.service';\nimport { DaprMetrics } from '../observability/dapr-metrics';\nimport type { StateStoreDriver } from '../spi/state.spi';\nvoid ResiliencyService; void DaprMetrics;\nexport type D = StateStoreDriver;\n")).toEqual([]);
    expect(lint('components/redis/probe.ts', "import { loadPackage } from '../../spi/kit/load-package';\nimport { RedisPubSub } from './redis.pubsub';\nvoid loadPackage; void RedisPubSub;\n")).toEqual([]);
    expect(lint('runtime/probe.ts', "import { parseDuration } from '../spi/kit/duration';\nvoid parseDuration;\n")).toEqual([]);
  });
});
