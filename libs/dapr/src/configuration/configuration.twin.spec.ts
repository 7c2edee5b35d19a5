import { Injectable, Module, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ConfigurationService, DaprModule, OnConfigurationChange, type ConfigurationItem } from 'nest-dapr';
import { DaprTestingModule } from 'nest-dapr/testing';

/** Counts the context types it sees, to show the binder's guards apply to configuration handlers. */
@Injectable()
class SeenGuard implements CanActivate {
  static readonly types: string[] = [];
  canActivate(ctx: ExecutionContext): boolean {
    SeenGuard.types.push(ctx.getType());
    return true;
  }
}

@Injectable()
class Flags {
  readonly updates: Record<string, ConfigurationItem>[] = [];

  @UseGuards(SeenGuard)
  @OnConfigurationChange('settings', ['checkout.enabled'])
  onChange(items: Record<string, ConfigurationItem>): void {
    this.updates.push(items);
  }
}

@Module({
  imports: [
    DaprModule.forRoot({
      appId: 'flags',
      // A real store in the app's config: the testing module must never touch it.
      components: [{ name: 'settings', type: 'configuration.redis', metadata: { redisHost: '127.0.0.1:1' } }],
    }),
  ],
  providers: [Flags, SeenGuard],
})
class FlagsModule {}

describe('configuration under DaprTestingModule (in-memory twin)', () => {
  it('seeds items, serves get, and delivers setConfiguration / deleteConfiguration to @OnConfigurationChange handlers', async () => {
    const dapr = await DaprTestingModule.create(FlagsModule, {
      configuration: { settings: { 'checkout.enabled': 'true', 'checkout.limit': { value: '5', version: '7', metadata: { unit: 'items' } } } },
    });
    try {
      const config = dapr.get(ConfigurationService);
      await expect(config.get('settings')).resolves.toEqual({
        items: {
          'checkout.enabled': { key: 'checkout.enabled', value: 'true', version: '1', metadata: {} },
          'checkout.limit': { key: 'checkout.limit', value: '5', version: '7', metadata: { unit: 'items' } },
        },
      });
      const flags = dapr.get(Flags);
      await dapr.setConfiguration('settings', { 'checkout.enabled': 'false', 'checkout.limit': '6' });
      expect(flags.updates).toEqual([{ 'checkout.enabled': { key: 'checkout.enabled', value: 'false', version: '2', metadata: {} } }]);
      await dapr.deleteConfiguration('settings', ['checkout.enabled']);
      expect(flags.updates[1]).toEqual({ 'checkout.enabled': { key: 'checkout.enabled', value: '', version: '', metadata: {} } });
      expect(SeenGuard.types).toEqual(['dapr-configuration', 'dapr-configuration']);

      const seen: string[] = [];
      const sub = await config.subscribe('settings', [], (items) => void seen.push(...Object.keys(items)));
      await dapr.setConfiguration('settings', { other: 'x' });
      await sub.unsubscribe();
      await dapr.setConfiguration('settings', { other: 'y' });
      expect(seen).toEqual(['other']);
    } finally {
      await dapr.close();
    }
  });
});
