import { Logger } from '@nestjs/common';
import type { DaprModuleOptions } from '../runtime/dapr-module-options.interface';
import type { PubSubDriver } from '../spi/pubsub.spi';
import type { ComponentSpec } from '../runtime/component-definition';
import type { ComponentRegistry } from '../runtime/component-registry';
import { ComponentRuntime } from '../runtime/component-runtime';
import { toInMemoryTwins } from './in-memory-twins';
import type { PubSubRecorder } from './pubsub-recorder';
import { testingBindingDriver } from './testing.binding';

/**
 * The app's ComponentRuntime under DaprTestingModule: same YAML and inline
 * components, each swapped for its in-memory twin (state.* → state.in-memory,
 * pubsub.* → pubsub.in-memory, bindings → a test-driven binding), static name
 * resolution (nothing written to .dapr/), and every pub/sub watched by the
 * recorder.
 */
export class TestingComponentRuntime extends ComponentRuntime {
  constructor(
    options: DaprModuleOptions,
    registry: ComponentRegistry,
    private readonly recorder: PubSubRecorder,
    private readonly redeliverInterval: string,
    private readonly sharedBus?: string,
  ) {
    super({ ...options, nameResolution: { component: 'static', configuration: { apps: {} } } }, registry.with([testingBindingDriver]));
  }

  protected override prepareSpecs(specs: ComponentSpec[]): ComponentSpec[] {
    const twins = toInMemoryTwins(specs, { redeliverInterval: this.redeliverInterval, sharedBus: this.sharedBus });
    new Logger('DaprTesting').debug(`in-memory twins: ${twins.map((t) => `${t.name}=${t.type}`).join(', ')}`);
    return twins;
  }

  override async start(): Promise<void> {
    await super.start();
    for (const c of this.list('pubsub')) {
      if (!watched.has(c.driver)) {
        watched.add(c.driver);
        this.recorder.watch(c.name, c.driver as PubSubDriver);
      }
    }
  }
}

const watched = new WeakSet<object>();
