import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvocationService, type ComponentDefinition } from 'nest-dapr';
import { NameResolutionService } from '../../libs/dapr/src/invocation/name-resolution.service';
import { CheckoutController } from './checkout.fixture';
import { API_TOKEN, startApp, type RunningApp } from './invocation-harness';

/**
 * With no nameResolution anywhere, API.md's default is Dapr's standalone
 * resolver, `sqlite` (a file under .dapr/ in the working directory) — except
 * for apps whose components are all in-memory, which share nothing with other
 * processes and must leave no file behind (issue 12).
 */
describe('name resolution default', () => {
  const cwd = process.cwd();
  let dir: string;
  const running: RunningApp[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nr-default-'));
    process.chdir(dir);
  });

  afterEach(async () => {
    for (const app of running.splice(0).reverse()) await app.close();
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  const storage = (): ComponentDefinition => ({ name: 'files', type: 'bindings.localstorage', metadata: { rootPath: join(dir, 'files') } });

  it('is sqlite under .dapr/ for an app that uses a real component: apps invoke each other by id', async () => {
    const checkout = await startApp({ appId: 'nr-default-checkout', apiToken: API_TOKEN, components: [storage()] }, { controllers: [CheckoutController] });
    running.push(checkout);
    const order = await startApp({ appId: 'nr-default-order', apiToken: API_TOKEN, components: [storage()] });
    running.push(order);

    expect(checkout.app.get(NameResolutionService).resolverName).toBe('sqlite');
    expect(existsSync(join(dir, '.dapr', 'nameresolution.db'))).toBe(true);
    const stock = await order.app.get(InvocationService).invoke<{ sku: string }>('nr-default-checkout', 'stock/beans');
    expect(stock.sku).toBe('beans');
  });

  it('is none for an app whose components are all in-memory: nothing registered, no .dapr/ file', async () => {
    const app = await startApp({
      appId: 'nr-default-memory',
      components: [
        { name: 'statestore', type: 'state.in-memory' },
        { name: 'pubsub', type: 'pubsub.in-memory' },
      ],
    });
    running.push(app);
    expect(app.app.get(NameResolutionService).resolverName).toBe('none');
    await expect(app.app.get(InvocationService).invoke('nr-default-checkout', 'stock/beans')).rejects.toThrow(/no name resolution configured/);
    expect(existsSync(join(dir, '.dapr'))).toBe(false);
  });
});
