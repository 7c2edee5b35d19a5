import { dirname, join } from 'node:path';
import type * as GrpcJs from '@grpc/grpc-js';
import type * as ProtoLoader from '@grpc/proto-loader';
import { GrpcPackagesMissingError } from '../../errors/sidecar.errors';

/** Constructors of gRPC clients for the app-callback services. */
export type GrpcClientCtor = new (address: string, credentials: GrpcJs.ChannelCredentials, options?: GrpcJs.ChannelOptions) => GrpcJs.Client & Record<string, unknown>;

/** @grpc/grpc-js plus Dapr's service definitions, as read from the .proto files @dapr/dapr ships. */
export interface GrpcStack {
  grpc: typeof GrpcJs;
  /** `dapr.proto.runtime.v1.Dapr`, served by the sidecar. */
  daprService: GrpcJs.ServiceDefinition;
  /** The app's services when `--app-protocol grpc`. */
  AppCallback: GrpcClientCtor;
  AppCallbackHealthCheck: GrpcClientCtor;
  AppCallbackAlpha: GrpcClientCtor;
}

/**
 * Proto fields come as camelCase JS properties, enums as their names, bytes
 * as Buffers, absent fields as their defaults (as Go's generated code reads them).
 */
export const PROTO_OPTIONS: ProtoLoader.Options = { keepCase: false, longs: String, enums: String, bytes: Buffer, defaults: true, oneofs: true };

let cached: Promise<GrpcStack> | undefined;

/**
 * Loads the gRPC packages on first use (they are optional peers). When
 * `required`, a missing package is a GrpcPackagesMissingError with the npm
 * command; otherwise the gRPC API is simply not served (undefined).
 */
export async function loadGrpcStack(required: boolean): Promise<GrpcStack | undefined> {
  cached ??= load();
  try {
    return await cached;
  } catch (err) {
    cached = undefined;
    if (err instanceof GrpcPackagesMissingError && !required) return undefined;
    throw err;
  }
}

async function load(): Promise<GrpcStack> {
  const grpc = (await importOrExplain('@grpc/grpc-js')) as typeof GrpcJs;
  const loader = (await importOrExplain('@grpc/proto-loader')) as typeof ProtoLoader;
  let protoDir: string;
  try {
    protoDir = join(dirname(require.resolve('@dapr/dapr/package.json')), 'proto');
  } catch {
    throw new GrpcPackagesMissingError('@dapr/dapr');
  }
  const definition = loader.loadSync(['dapr/proto/runtime/v1/dapr.proto', 'dapr/proto/runtime/v1/appcallback.proto'], { ...PROTO_OPTIONS, includeDirs: [protoDir] });
  const v1 = (grpc.loadPackageDefinition(definition) as unknown as { dapr: { proto: { runtime: { v1: Record<string, GrpcClientCtor & { service: GrpcJs.ServiceDefinition }> } } } }).dapr.proto.runtime.v1;
  return {
    grpc,
    daprService: v1.Dapr.service,
    AppCallback: v1.AppCallback,
    AppCallbackHealthCheck: v1.AppCallbackHealthCheck,
    AppCallbackAlpha: v1.AppCallbackAlpha,
  };
}

async function importOrExplain(name: string): Promise<unknown> {
  try {
    const mod = (await import(name)) as { default?: unknown; __esModule?: boolean };
    return mod.default !== undefined && !mod.__esModule ? mod.default : mod;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if ((e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND') && String(e.message).includes(name)) throw new GrpcPackagesMissingError(name);
    throw err;
  }
}
