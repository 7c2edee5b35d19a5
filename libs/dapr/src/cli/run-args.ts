import { CliUsageError } from '../errors/sidecar.errors';
import { SIDECAR_DEFAULTS, sidecarOptions, type SidecarLogLevel, type SidecarOptions } from '../sidecar/sidecar-options';
import { parseQuantity } from './quantity';

/** What `nest-dapr run …` asks for: the sidecar's options and, after `--`, the app to start. */
export interface RunRequest {
  options: SidecarOptions;
  command?: string[];
  help?: boolean;
}

type Kind = 'string' | 'int' | 'bool' | 'list';

interface FlagSpec {
  kind: Kind;
  short?: string;
  /** Accepted and ignored: `dapr run` features that have no meaning here (said in the help). */
  ignored?: boolean;
}

/** `dapr run`'s flags; old spellings map to the new ones. */
const FLAGS: Record<string, FlagSpec> = {
  'app-id': { kind: 'string', short: 'a' },
  'app-port': { kind: 'int', short: 'p' },
  'app-protocol': { kind: 'string', short: 'P' },
  'app-channel-address': { kind: 'string' },
  'dapr-http-port': { kind: 'int', short: 'H' },
  'dapr-grpc-port': { kind: 'int', short: 'G' },
  'dapr-internal-grpc-port': { kind: 'int', short: 'I' },
  'dapr-listen-addresses': { kind: 'string' },
  'resources-path': { kind: 'list', short: 'd' },
  'components-path': { kind: 'list' },
  config: { kind: 'string', short: 'c' },
  'max-body-size': { kind: 'string' },
  'dapr-http-max-request-size': { kind: 'int' },
  'log-level': { kind: 'string' },
  'app-max-concurrency': { kind: 'int' },
  'enable-app-health-check': { kind: 'bool' },
  'app-health-check-path': { kind: 'string' },
  'app-health-probe-interval': { kind: 'int' },
  'app-health-probe-timeout': { kind: 'int' },
  'app-health-threshold': { kind: 'int' },
  'dapr-graceful-shutdown-seconds': { kind: 'int' },
  help: { kind: 'bool', short: 'h' },
  // Accepted for compatibility; no effect (no profiling, no placement, metrics through OpenTelemetry).
  'enable-api-logging': { kind: 'bool', ignored: true },
  'enable-profiling': { kind: 'bool', ignored: true },
  'profile-port': { kind: 'int', ignored: true },
  'metrics-port': { kind: 'int', short: 'M', ignored: true },
  'placement-host-address': { kind: 'string', ignored: true },
  'scheduler-host-address': { kind: 'string', ignored: true },
  'dapr-http-read-buffer-size': { kind: 'int', ignored: true },
  'dapr-http-max-request-size-mb': { kind: 'int', ignored: true },
  'run-file': { kind: 'string', short: 'f', ignored: true },
};

const SHORT = new Map(Object.entries(FLAGS).filter(([, s]) => s.short).map(([name, s]) => [s.short!, name]));
const LOG_LEVELS: SidecarLogLevel[] = ['debug', 'info', 'warn', 'error'];

/**
 * Parses `dapr run`'s command line (after `run`): `--flag value`,
 * `--flag=value`, short flags, repeatable `--resources-path`, and `-- <command>`.
 * Unknown flags and bad values are a CliUsageError naming the flag.
 */
export function parseRunArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): RunRequest {
  const values = new Map<string, string | boolean | string[]>();
  let command: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      command = argv.slice(i + 1);
      break;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else if (arg.startsWith('-') && arg.length > 1) {
      const long = SHORT.get(arg.slice(1, 2));
      if (!long) throw new CliUsageError(`unknown flag ${arg}`, arg);
      name = long;
      inline = arg.length > 2 ? arg.slice(2).replace(/^=/, '') : undefined;
    } else {
      // `dapr run` takes the app command after the flags even without `--`.
      command = argv.slice(i);
      break;
    }
    const spec = FLAGS[name];
    if (!spec) throw new CliUsageError(`unknown flag --${name} (nest-dapr run --help lists the flags)`, `--${name}`);
    if (spec.kind === 'bool') {
      const v = inline === undefined ? true : parseBool(`--${name}`, inline);
      values.set(name, v);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new CliUsageError(`--${name} needs a value`, `--${name}`);
    if (spec.kind === 'list') {
      const list = (values.get(name) as string[] | undefined) ?? [];
      list.push(value);
      values.set(name, list);
    } else {
      values.set(name, value);
    }
  }
  if (values.get('help') === true) {
    return { options: sidecarOptions({ appId: 'help' }, env), help: true };
  }

  const str = (n: string) => values.get(n) as string | undefined;
  const int = (n: string, min = 0) => {
    const v = str(n);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v) || Number(v) < min) throw new CliUsageError(`--${n}: "${v}" is not a whole number${min > 0 ? ` ≥ ${min}` : ''}`, `--${n}`);
    return Number(v);
  };

  const appId = str('app-id') ?? env.APP_ID;
  if (!appId) throw new CliUsageError('--app-id is required', '--app-id');
  const protocol = (str('app-protocol') ?? 'http').toLowerCase();
  if (protocol !== 'http' && protocol !== 'grpc') {
    throw new CliUsageError(`--app-protocol: "${protocol}" is not supported (http or grpc)`, '--app-protocol');
  }
  const logLevel = (str('log-level') ?? 'info').toLowerCase() as SidecarLogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new CliUsageError(`--log-level: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`, '--log-level');

  let maxBodySize = SIDECAR_DEFAULTS.maxBodySize;
  const oldSize = int('dapr-http-max-request-size', 1);
  if (oldSize !== undefined) maxBodySize = oldSize * 1024 * 1024;
  const size = str('max-body-size');
  if (size !== undefined) maxBodySize = parseQuantity('--max-body-size', size);

  const appPort = int('app-port', 1);
  const options = sidecarOptions(
    {
      appId,
      appPort,
      appProtocol: protocol,
      appChannelAddress: str('app-channel-address') ?? SIDECAR_DEFAULTS.appChannelAddress,
      daprHttpPort: int('dapr-http-port') ?? SIDECAR_DEFAULTS.daprHttpPort,
      daprGrpcPort: int('dapr-grpc-port') ?? SIDECAR_DEFAULTS.daprGrpcPort,
      daprInternalPort: int('dapr-internal-grpc-port') ?? SIDECAR_DEFAULTS.daprInternalPort,
      listenAddress: (str('dapr-listen-addresses') ?? SIDECAR_DEFAULTS.listenAddress).split(',')[0].trim(),
      resourcesPaths: [...((values.get('resources-path') as string[]) ?? []), ...((values.get('components-path') as string[]) ?? [])],
      config: str('config'),
      maxBodySize,
      logLevel,
      appMaxConcurrency: int('app-max-concurrency', 1),
      gracefulShutdownMs: (int('dapr-graceful-shutdown-seconds') ?? SIDECAR_DEFAULTS.gracefulShutdownMs / 1000) * 1000,
      requireGrpc: values.has('dapr-grpc-port'),
    },
    env,
  );
  if (values.get('enable-app-health-check') === true) {
    options.appHealth = {
      path: str('app-health-check-path') ?? SIDECAR_DEFAULTS.appHealth.path,
      intervalMs: (int('app-health-probe-interval', 1) ?? SIDECAR_DEFAULTS.appHealth.intervalMs / 1000) * 1000,
      timeoutMs: int('app-health-probe-timeout', 1) ?? SIDECAR_DEFAULTS.appHealth.timeoutMs,
      threshold: int('app-health-threshold', 1) ?? SIDECAR_DEFAULTS.appHealth.threshold,
    };
  }
  if (command !== undefined && command.length === 0) command = undefined;
  return { options, command };
}

function parseBool(flag: string, v: string): boolean {
  if (/^(1|t|true)$/i.test(v)) return true;
  if (/^(0|f|false)$/i.test(v)) return false;
  throw new CliUsageError(`${flag}: "${v}" is not true or false`, flag);
}

export const RUN_USAGE = `Usage: nest-dapr run --app-id <id> [flags] [-- <command> [args...]]

Runs a Dapr-compatible sidecar on nest-dapr's in-process runtime: Dapr's HTTP API
(/v1.0/...) and gRPC API (dapr.proto.runtime.v1.Dapr) in front of your components,
and Dapr's app-callback protocol to your app. With -- <command> it starts the app with
DAPR_HTTP_PORT, DAPR_GRPC_PORT, APP_ID and APP_PORT set, as dapr run does.

Flags (same names and meaning as dapr run):
  -a, --app-id <id>                     the app id (required; env APP_ID)
  -p, --app-port <port>                 the port the app listens on
  -P, --app-protocol http|grpc          how the sidecar talks to the app (default http)
      --app-channel-address <host>      where the app listens (default 127.0.0.1)
  -H, --dapr-http-port <port>           Dapr HTTP API port (default 3500)
  -G, --dapr-grpc-port <port>           Dapr gRPC API port (default 50001)
  -I, --dapr-internal-grpc-port <port>  port other apps' invocations arrive on (default: a free port)
      --dapr-listen-addresses <host>    interface the APIs bind to (default 127.0.0.1)
  -d, --resources-path <dir>            component/subscription/resiliency YAML (repeatable);
      --components-path <dir>           old spelling of --resources-path
  -c, --config <file>                   a Configuration YAML (access control, name resolution)
      --max-body-size <size>            largest request body (default 4Mi)
      --dapr-http-max-request-size <MB> old spelling of --max-body-size, in MB
      --log-level debug|info|warn|error (default info)
      --app-max-concurrency <n>         most concurrent calls to the app
      --enable-app-health-check         probe the app; stop deliveries while it is unhealthy
      --app-health-check-path <path>    (default /healthz)
      --app-health-probe-interval <s>   (default 5)
      --app-health-probe-timeout <ms>   (default 500)
      --app-health-threshold <n>        (default 3)
      --dapr-graceful-shutdown-seconds <s>  how long SIGTERM waits for deliveries (default 5)

Environment: DAPR_API_TOKEN (required from API callers), APP_API_TOKEN (sent to the app).
Accepted and ignored: --enable-api-logging, --enable-profiling, --profile-port, --metrics-port,
--placement-host-address, --scheduler-host-address, --dapr-http-read-buffer-size.
`;
