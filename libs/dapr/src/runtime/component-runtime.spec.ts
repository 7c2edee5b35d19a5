import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Component, ComponentMetadata } from '../spi/component.spi';
import { ComponentConfigError, MissingMetadataError, UnknownComponentTypeError } from '../errors/component-config.error';
import { ComponentInitError, ComponentNotFoundError, MissingPackageError } from '../errors/component-init.error';
import type { DaprModuleOptions } from './dapr-module-options.interface';
import { ComponentRuntime } from './component-runtime';
import { BUILTIN_DRIVERS } from '../components/builtin-drivers';
import { ComponentRegistry } from './component-registry';
import { loadPackage } from '../spi/kit/load-package';

/** A real driver for these tests: records what it was given and can be told to fail. */
class ProbeDriver implements Component {
  static instances: ProbeDriver[] = [];
  metadata?: ComponentMetadata;
  closed = false;
  constructor() {
    ProbeDriver.instances.push(this);
  }
  async init(metadata: ComponentMetadata): Promise<void> {
    this.metadata = metadata;
    const p = metadata.properties;
    if (p.required === '') throw new MissingMetadataError(metadata.name, 'required');
    if (p.failWith) throw new Error(p.failWith);
    if (p.delayMs) await new Promise((r) => setTimeout(r, Number(p.delayMs)));
    if (p.needsPackage) await loadPackage(metadata.type, p.needsPackage);
  }
  features(): readonly string[] {
    return [];
  }
  async ping(): Promise<void> {
    if (this.metadata?.properties.pingFails) throw new Error('backend unreachable');
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const registry = new ComponentRegistry([...BUILTIN_DRIVERS, { type: 'state.probe', versions: ['v1', 'v2'], create: () => new ProbeDriver() }]);

async function started(options: DaprModuleOptions): Promise<ComponentRuntime> {
  const runtime = new ComponentRuntime(options, registry);
  await runtime.start();
  return runtime;
}

function probe(name: string): ProbeDriver {
  const found = ProbeDriver.instances.filter((d) => d.metadata?.name === name).pop();
  if (!found) throw new Error(`no probe ${name}`);
  return found;
}

describe('ComponentRuntime', () => {
  beforeEach(() => {
    ProbeDriver.instances = [];
  });

  it("decodes each component's metadata with its driver's declaration: a bad value names file, line and field; unknown keys get a did-you-mean", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rt-meta-'));
    const file = join(dir, 'store.yaml');
    const yaml = (extra: string) =>
      ['apiVersion: dapr.io/v1alpha1', 'kind: Component', 'metadata:', '  name: mem', 'spec:', '  type: state.in-memory', '  metadata:', extra].join('\n');
    writeFileSync(file, yaml('  - name: cleanupInterval\n    value: soon'));
    const err = await started({ appId: 'meta', componentsPath: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ComponentConfigError);
    expect((err as Error).message).toBe(
      `${file}:8: component "mem": metadata "cleanupInterval" "soon" is not a duration: use a Go duration such as 5s or 250ms, or a whole number of milliseconds`,
    );
    expect((err as ComponentConfigError).field).toBe('cleanupInterval');

    writeFileSync(file, yaml('  - name: cleanupIntervall\n    value: 1s\n  - name: keyPrefix\n    value: none'));
    const runtime = new ComponentRuntime({ appId: 'meta', componentsPath: dir }, registry);
    const warnings: string[] = [];
    (runtime as unknown as { logger: { warn: (m: string) => void; log: () => void } }).logger = { warn: (m) => warnings.push(m), log: () => undefined };
    await runtime.start();
    // keyPrefix is a runtime field of every state store: accepted without a warning.
    expect(warnings).toEqual([`${file}:8: component "mem": unknown metadata "cleanupIntervall" for state.in-memory; did you mean "cleanupInterval"?`]);
    await runtime.onApplicationShutdown();
  });

  it('expands {uuid}, {appID} and {namespace} as daprd does', async () => {
    const rt = await started({
      appId: 'order',
      namespace: 'prod',
      components: [
        {
          name: 's',
          type: 'state.probe',
          metadata: { a: 'grp-{appID}', b: '{namespace}', c: '{uuid}|{uuid}', n: 7, t: true },
        },
      ],
    });
    const p = probe('s').metadata!.properties;
    expect(p.a).toBe('grp-order');
    expect(p.b).toBe('prod.order');
    const [u1, u2] = p.c.split('|');
    expect(u1).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(u2).not.toBe(u1);
    expect(p.n).toBe('7');
    expect(p.t).toBe('true');
    expect(probe('s').metadata).toMatchObject({ appId: 'order', namespace: 'prod', type: 'state.probe', version: 'v1' });
    await rt.onApplicationShutdown();
  });

  it('resolves envRef and secretKeyRef through the env store by default and through auth.secretStore', async () => {
    process.env.NEST_DAPR_T_HOST = 'db.local';
    process.env.NEST_DAPR_T_PW = 'pw-from-env';
    const dir = mkdtempSync(join(tmpdir(), 'dapr-secrets-'));
    writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ redis: { password: 'pw-from-file' } }));
    const rt = await started({
      appId: 'order',
      components: [
        { name: 'files', type: 'secretstores.local.file', metadata: { secretsFile: join(dir, 'secrets.json') } },
        {
          name: 'viaEnv',
          type: 'state.probe',
          metadata: { host: { envRef: 'NEST_DAPR_T_HOST' }, pw: { secretKeyRef: { name: 'NEST_DAPR_T_PW', key: 'NEST_DAPR_T_PW' } } },
        },
        {
          name: 'viaFile',
          type: 'state.probe',
          secretStore: 'files',
          metadata: { pw: { secretKeyRef: { name: 'redis:password', key: 'redis:password' } } },
        },
      ],
    });
    expect(probe('viaEnv').metadata!.properties).toEqual({ host: 'db.local', pw: 'pw-from-env' });
    expect(probe('viaFile').metadata!.properties).toEqual({ pw: 'pw-from-file' });
    await rt.onApplicationShutdown();
  });

  it('names store and key of a missing secret without printing any secret', async () => {
    process.env.NEST_DAPR_T_OTHER = 'top-secret-value';
    const err = await started({
      appId: 'a',
      components: [{ name: 's', type: 'state.probe', metadata: { pw: { secretKeyRef: { name: 'NOPE_SECRET', key: 'k' } } } }],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ComponentConfigError);
    expect((err as Error).message).toMatch(/secret "NOPE_SECRET" not found in secret store "env"/);
    expect((err as ComponentConfigError).field).toBe('pw');
    expect((err as Error).message).not.toContain('top-secret-value');
  });

  it('fails on an unset envRef naming the component and field', async () => {
    delete process.env.NEST_DAPR_UNSET;
    await expect(
      started({ appId: 'a', components: [{ name: 's', type: 'state.probe', metadata: { host: { envRef: 'NEST_DAPR_UNSET' } } }] }),
    ).rejects.toThrow(/component "s": metadata "host" refers to environment variable NEST_DAPR_UNSET/);
  });

  it('loads only components scoped to this app', async () => {
    const rt = await started({
      appId: 'order',
      components: [
        { name: 'mine', type: 'state.probe', scopes: ['order', 'checkout'] },
        { name: 'theirs', type: 'state.probe', scopes: ['checkout'] },
        { name: 'everyone', type: 'state.probe' },
      ],
    });
    expect(rt.names().sort()).toEqual(['everyone', 'mine']);
    expect(() => rt.get('state', 'theirs')).toThrow(ComponentNotFoundError);
    expect(() => rt.get('state', 'theirs')).toThrow(/known: mine, everyone|known: everyone, mine/);
    await rt.onApplicationShutdown();
  });

  it('selects the driver by spec.version', async () => {
    const rt = await started({ appId: 'a', components: [{ name: 'v2', type: 'state.probe', version: 'v2' }] });
    expect(rt.get('state', 'v2').version).toBe('v2');
    await rt.onApplicationShutdown();
    await expect(started({ appId: 'a', components: [{ name: 'v3', type: 'state.probe', version: 'v3' }] })).rejects.toThrow(
      UnknownComponentTypeError,
    );
  });

  it('applies initTimeout, and ignoreErrors skips a failing component', async () => {
    await expect(
      started({ appId: 'a', components: [{ name: 'slow', type: 'state.probe', initTimeout: '50ms', metadata: { delayMs: 500 } }] }),
    ).rejects.toThrow(/component "slow" \(state\.probe\) failed to initialise: timed out after 50ms/);

    const rt = await started({
      appId: 'a',
      components: [
        { name: 'broken', type: 'state.probe', ignoreErrors: true, metadata: { failWith: 'connection refused' } },
        { name: 'fine', type: 'state.probe' },
      ],
    });
    expect(rt.names()).toEqual(['fine']);
    await rt.onApplicationShutdown();
  });

  it('initialises components in parallel', async () => {
    const t0 = Date.now();
    const rt = await started({
      appId: 'a',
      components: ['a', 'b', 'c', 'd'].map((n) => ({ name: n, type: 'state.probe', metadata: { delayMs: 300 } })),
    });
    expect(Date.now() - t0).toBeLessThan(1000);
    await rt.onApplicationShutdown();
  });

  it('wraps init failures and closes already started components', async () => {
    const err = await started({
      appId: 'a',
      components: [
        { name: 'ok', type: 'state.probe' },
        { name: 'bad', type: 'state.probe', metadata: { failWith: 'boom' } },
      ],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ComponentInitError);
    expect((err as Error).message).toBe('component "bad" (state.probe) failed to initialise: boom');
    expect(probe('ok').closed).toBe(true);
  });

  it('reports a missing required metadata field with the component and field', async () => {
    await expect(started({ appId: 'a', components: [{ name: 'm', type: 'state.probe', metadata: { required: '' } }] })).rejects.toThrow(
      /component "m" is missing required metadata "required"/,
    );
  });

  it('names the npm install command when a driver package is missing', async () => {
    const err = await started({
      appId: 'a',
      components: [{ name: 'p', type: 'state.probe', metadata: { needsPackage: 'nest-dapr-no-such-package' } }],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingPackageError);
    expect((err as Error).message).toBe(
      'component state.probe needs the package nest-dapr-no-such-package: npm install nest-dapr-no-such-package',
    );
  });

  it('reports health per component and closes all at shutdown', async () => {
    const rt = await started({
      appId: 'a',
      components: [
        { name: 'up', type: 'state.probe' },
        { name: 'down', type: 'state.probe', metadata: { pingFails: 'yes' } },
      ],
    });
    const health = await rt.health();
    expect(health).toEqual(
      expect.arrayContaining([
        { name: 'up', type: 'state.probe', status: 'up' },
        { name: 'down', type: 'state.probe', status: 'down', error: 'backend unreachable' },
      ]),
    );
    await rt.onApplicationShutdown();
    expect(probe('up').closed).toBe(true);
    expect(probe('down').closed).toBe(true);
  });

  it('requires an app id (option or APP_ID)', () => {
    const prev = process.env.APP_ID;
    delete process.env.APP_ID;
    expect(() => new ComponentRuntime({})).toThrow(/needs an appId/);
    process.env.APP_ID = 'from-env';
    expect(new ComponentRuntime({}).appId).toBe('from-env');
    if (prev === undefined) delete process.env.APP_ID;
    else process.env.APP_ID = prev;
  });
});

describe('ComponentRuntime secret masking', () => {
  it('never repeats a secret a driver put in its init error', async () => {
    process.env.NEST_DAPR_T_LEAKY = 'hunter2-very-secret';
    const err = await started({
      appId: 'a',
      components: [
        {
          name: 'leaky',
          type: 'state.probe',
          metadata: {
            pw: { secretKeyRef: { name: 'NEST_DAPR_T_LEAKY', key: 'NEST_DAPR_T_LEAKY' } },
            failWith: 'auth failed for hunter2-very-secret',
          },
        },
      ],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ComponentInitError);
    expect((err as Error).message).toBe('component "leaky" (state.probe) failed to initialise: auth failed for [REDACTED]');
  });
});
