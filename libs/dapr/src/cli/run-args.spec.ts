import { CliUsageError } from '../errors/sidecar.errors';
import { parseRunArgs } from './run-args';

describe('nest-dapr run flags', () => {
  it("takes dapr run's flags with their defaults", () => {
    const { options, command } = parseRunArgs(['--app-id', 'order', '--app-port', '3000'], {});
    expect(options).toMatchObject({
      appId: 'order',
      appPort: 3000,
      appProtocol: 'http',
      appChannelAddress: '127.0.0.1',
      daprHttpPort: 3500,
      daprGrpcPort: 50001,
      maxBodySize: 4 * 1024 * 1024,
      logLevel: 'info',
      resourcesPaths: [],
    });
    expect(command).toBeUndefined();
  });

  it('accepts --flag=value, short flags, repeated --resources-path and the old spellings', () => {
    const { options } = parseRunArgs(
      ['-a', 'x', '--app-protocol=grpc', '-H', '3600', '--dapr-grpc-port=50002', '-d', 'a', '--resources-path', 'b', '--components-path', 'c', '--dapr-http-max-request-size', '8', '--config', 'cfg.yaml', '--log-level', 'debug'],
      {},
    );
    expect(options).toMatchObject({ appId: 'x', appProtocol: 'grpc', daprHttpPort: 3600, daprGrpcPort: 50002, resourcesPaths: ['a', 'b', 'c'], maxBodySize: 8 * 1024 * 1024, config: 'cfg.yaml', logLevel: 'debug', requireGrpc: true });
  });

  it('reads --max-body-size as a Kubernetes quantity', () => {
    expect(parseRunArgs(['--app-id', 'x', '--max-body-size', '512Ki'], {}).options.maxBodySize).toBe(512 * 1024);
    expect(parseRunArgs(['--app-id', 'x', '--max-body-size', '2M'], {}).options.maxBodySize).toBe(2_000_000);
    expect(() => parseRunArgs(['--app-id', 'x', '--max-body-size', 'lots'], {})).toThrow(/--max-body-size/);
  });

  it('splits off the app command after --, and takes the tokens from the environment', () => {
    const req = parseRunArgs(['--app-id', 'x', '--', 'node', 'app.js', '--port', '1'], { DAPR_API_TOKEN: 't1', APP_API_TOKEN: 't2' });
    expect(req.command).toEqual(['node', 'app.js', '--port', '1']);
    expect(req.options.apiToken).toBe('t1');
    expect(req.options.appApiToken).toBe('t2');
  });

  it('turns on app health checks with their settings', () => {
    const { options } = parseRunArgs(['--app-id', 'x', '--enable-app-health-check', '--app-health-probe-interval', '2', '--app-health-threshold', '1'], {});
    expect(options.appHealth).toEqual({ path: '/healthz', intervalMs: 2000, timeoutMs: 500, threshold: 1 });
  });

  it('refuses unknown flags, missing values, a missing app id and bad values with a typed error naming the flag', () => {
    const err = (args: string[]) => {
      try {
        parseRunArgs(args, {});
      } catch (e) {
        return e as CliUsageError;
      }
      throw new Error('expected an error');
    };
    expect(err(['--app-id', 'x', '--nope'])).toMatchObject({ name: 'CliUsageError', flag: '--nope' });
    expect(err(['--app-id'])).toMatchObject({ flag: '--app-id' });
    expect(err([])).toMatchObject({ flag: '--app-id' });
    expect(err(['--app-id', 'x', '--app-port', 'abc'])).toMatchObject({ flag: '--app-port' });
    expect(err(['--app-id', 'x', '--app-protocol', 'h2c'])).toMatchObject({ flag: '--app-protocol' });
    expect(err(['--app-id', 'x', '--log-level', 'loud'])).toBeInstanceOf(CliUsageError);
  });
});
