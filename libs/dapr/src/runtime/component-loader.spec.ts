import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ComponentConfigError,
  ComponentYamlError,
  DuplicateComponentError,
} from '../errors/component-config.error';
import { assertUniqueNames, fromDefinitions, loadComponentsPath, parseResourceFile } from './component-loader';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dapr-loader-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const redis = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
auth:
  secretStore: vault
spec:
  type: state.redis
  version: v1
  initTimeout: 10s
  ignoreErrors: true
  metadata:
  - name: redisHost
    value: localhost:6379
  - name: redisDB
    value: 2
  - name: enableTLS
    value: false
  - name: redisPassword
    secretKeyRef:
      name: redis-secret
      key: password
  - name: user
    secretKeyRef:
      name: REDIS_USER
  - name: keyPrefix
    envRef: KEY_PREFIX
scopes:
- order
`;

describe('component loader', () => {
  it('reads every metadata source of a Dapr component file', () => {
    const { components } = parseResourceFile(redis, '/x/redis.yaml');
    expect(components).toHaveLength(1);
    const c = components[0];
    expect(c).toMatchObject({
      name: 'statestore',
      type: 'state.redis',
      version: 'v1',
      initTimeout: '10s',
      ignoreErrors: true,
      secretStore: 'vault',
      scopes: ['order'],
      source: { file: '/x/redis.yaml', line: 1 },
    });
    const at = (line: number) => ({ file: '/x/redis.yaml', line });
    // Each item keeps the line of its "- name:" entry, so driver errors can point at it.
    expect(c.metadata).toEqual([
      { name: 'redisHost', value: 'localhost:6379', source: at(13) },
      { name: 'redisDB', value: 2, source: at(15) },
      { name: 'enableTLS', value: false, source: at(17) },
      { name: 'redisPassword', value: { secretKeyRef: { name: 'redis-secret', key: 'password' } }, source: at(19) },
      // Dapr uses the secret's name as key when the key is omitted.
      { name: 'user', value: { secretKeyRef: { name: 'REDIS_USER', key: 'REDIS_USER' } }, source: at(23) },
      { name: 'keyPrefix', value: { envRef: 'KEY_PREFIX' }, source: at(26) },
    ]);
  });

  it('reads several documents per file and routes other kinds to their blocks', () => {
    const text = `${redis}---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: orders-sub
spec:
  topic: orders
  routes:
    default: /orders
  pubsubname: pubsub
scopes: [checkout]
---
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: resiliency
spec:
  policies: {}
---
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: config
spec:
  accessControl:
    defaultAction: deny
---
`;
    const out = parseResourceFile(text, 'multi.yaml');
    expect(out.components.map((c) => c.name)).toEqual(['statestore']);
    expect(out.resources.map((r) => [r.kind, r.name])).toEqual([
      ['Subscription', 'orders-sub'],
      ['Resiliency', 'resiliency'],
      ['Configuration', 'config'],
    ]);
    expect(out.resources[0]).toMatchObject({ apiVersion: 'dapr.io/v2alpha1', scopes: ['checkout'], spec: { topic: 'orders' } });
    expect(out.resources[1].source.line).toBe(42);
  });

  it('loads every .yaml and .yml file of a folder, ignoring other files', () => {
    const dir = folder({
      'a.yaml': redis,
      'b.yml': redis.replace('name: statestore', 'name: other'),
      'notes.txt': 'not yaml: [',
    });
    const out = loadComponentsPath(dir);
    expect(out.components.map((c) => c.name)).toEqual(['statestore', 'other']);
    expect(out.components[1].source.file).toBe(join(dir, 'b.yml'));
  });

  it('names file and line of malformed YAML', () => {
    const dir = folder({ 'broken.yaml': 'kind: Component\nmetadata:\n  name: x\n  bad: [unclosed\nspec: {}\n' });
    let err: unknown;
    try {
      loadComponentsPath(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ComponentYamlError);
    expect((err as Error).message).toContain(join(dir, 'broken.yaml'));
    expect((err as ComponentYamlError).source?.line).toBeGreaterThanOrEqual(4);
  });

  it('passes over other kinds and apiVersions as daprd does, saying where and why', () => {
    const text = [
      'apiVersion: dapr.io/v1alpha1\nkind: HTTPEndpoint\nmetadata:\n  name: ext\nspec:\n  baseUrl: http://x\n',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n',
      'apiVersion: dapr.io/v2\nkind: Component\nmetadata:\n  name: future\nspec:\n  type: state.redis\n',
      'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: kept\nspec:\n  type: state.in-memory\n',
    ].join('---\n');
    const out = parseResourceFile(text, 'mixed.yaml');
    expect(out.components.map((c) => c.name)).toEqual(['kept']);
    expect(out.skipped).toEqual([
      expect.objectContaining({ kind: 'HTTPEndpoint', name: 'ext', source: { file: 'mixed.yaml', line: 1 }, reason: expect.stringContaining('HTTPEndpoint is not one nest-dapr loads') }),
      expect.objectContaining({ kind: 'Pod', name: 'p', source: { file: 'mixed.yaml', line: 8 } }),
      expect.objectContaining({ kind: 'Component', name: 'future', reason: 'Component apiVersion "dapr.io/v2" is not dapr.io/v1alpha1' }),
    ]);
    expect(() => parseResourceFile('apiVersion: v1\nmetadata:\n  name: p\n', 'nokind.yaml')).toThrow(/nokind\.yaml:1: a resource document needs a kind/);
  });

  it('names the field of a bad metadata item with its line', () => {
    const text = 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: s\nspec:\n  type: state.redis\n  metadata:\n  - value: x\n';
    expect(() => parseResourceFile(text, 'bad.yaml')).toThrow(/bad\.yaml:8: component "s": spec\.metadata\[0\] must have a name/);
  });

  it('requires a name and a dotted type', () => {
    expect(() => parseResourceFile('kind: Component\nmetadata: {}\nspec:\n  type: state.redis\n', 'f.yaml')).toThrow(
      ComponentConfigError,
    );
    expect(() =>
      parseResourceFile('kind: Component\nmetadata:\n  name: n\nspec:\n  type: redis\n', 'f.yaml'),
    ).toThrow(/f\.yaml:5: component "n": spec\.type must be a string/);
  });

  it('normalises inline definitions to the same shape', () => {
    const [c] = fromDefinitions([
      {
        name: 'cache',
        type: 'state.redis',
        metadata: { redisHost: 'h:1', redisDB: 3, pw: { secretKeyRef: { name: 's', key: 'k' } }, p: { envRef: 'E' } },
        scopes: ['a'],
      },
    ]);
    expect(c).toMatchObject({ name: 'cache', type: 'state.redis', version: 'v1', initTimeout: '5s', ignoreErrors: false, scopes: ['a'] });
    const inline = { file: 'components[0] (inline)' };
    expect(c.metadata).toEqual([
      { name: 'redisHost', value: 'h:1', source: inline },
      { name: 'redisDB', value: 3, source: inline },
      { name: 'pw', value: { secretKeyRef: { name: 's', key: 'k' } }, source: inline },
      { name: 'p', value: { envRef: 'E' }, source: inline },
    ]);
  });

  it('rejects two components with one name, naming both origins', () => {
    const a = parseResourceFile(redis, 'one.yaml').components;
    const b = parseResourceFile(redis, 'two.yaml').components;
    expect(() => assertUniqueNames([...a, ...b])).toThrow(DuplicateComponentError);
    expect(() => assertUniqueNames([...a, ...b])).toThrow(/"statestore" is defined twice: in one\.yaml:1 and in two\.yaml:1/);
  });
});
