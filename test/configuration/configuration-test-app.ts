import { Injectable, type Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { DaprModule, OnConfigurationChange, type ComponentDefinition, type ConfigurationItem } from 'nest-dapr';

/** Boots DaprModule with the given components (and handler providers) through the full lifecycle. */
export async function bootConfigurationApp(components: ComponentDefinition[], providers: Provider[] = []): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [DaprModule.forRoot({ appId: 'configuration-test', components })],
    providers,
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

/** Collects every update a subscription reports, oldest first. */
export class UpdateLog {
  readonly updates: Record<string, ConfigurationItem>[] = [];

  readonly handler = (items: Record<string, ConfigurationItem>): void => {
    this.updates.push(items);
  };

  /** Every item reported for `key`, oldest first. */
  of(key: string): ConfigurationItem[] {
    return this.updates.filter((u) => key in u).map((u) => u[key]);
  }

  last(key: string): ConfigurationItem | undefined {
    const all = this.of(key);
    return all[all.length - 1];
  }
}

/** A provider with an `@OnConfigurationChange` handler on every key of store `config`. */
@Injectable()
export class WatchAllConfig {
  readonly log = new UpdateLog();
  readonly contexts: { store: string; id: string }[] = [];

  @OnConfigurationChange('config')
  onChange(items: Record<string, ConfigurationItem>, subscription: { store: string; id: string }): void {
    this.contexts.push(subscription);
    this.log.handler(items);
  }
}
