import { Logger } from '@nestjs/common';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type * as GrpcJs from '@grpc/grpc-js';
import { CallerIdentity } from '../../invocation/caller-identity';
import { extractTraceContext } from '../../observability/trace-context';
import { ApiError } from '../http/api-error';
import type { SidecarContext } from '../sidecar-context';
import { configurationGrpcApi, type GrpcStreamHandler } from './configuration.grpc-api';
import { daprGrpcHandlers, type GrpcHandler } from './dapr.grpc-api';
import { GrpcCode, grpcStatusOf } from './grpc-errors';
import type { GrpcStack } from './grpc-stack';

/** gRPC metadata keys that are transport details, not headers to pass on. */
const NOT_HEADERS = new Set(['dapr-api-token', 'content-type', 'user-agent', 'grpc-accept-encoding', 'grpc-encoding', 'grpc-timeout', 'te', 'accept-encoding']);

/**
 * Dapr's gRPC API (`dapr.proto.runtime.v1.Dapr`) with @grpc/grpc-js, from the
 * service definitions in the .proto files @dapr/dapr ships. Every call checks
 * `dapr-api-token` when DAPR_API_TOKEN is set and runs in the caller's trace
 * context; errors are the HTTP API's, as gRPC statuses.
 */
export class GrpcApiServer {
  private readonly logger = new Logger('DaprSidecar');
  private server?: GrpcJs.Server;
  private readonly token?: CallerIdentity;

  constructor(
    private readonly ctx: SidecarContext,
    private readonly stack: GrpcStack,
  ) {
    if (ctx.options.apiToken) this.token = new CallerIdentity(ctx.options.apiToken);
  }

  async listen(port: number, host: string): Promise<number> {
    const { grpc, daprService } = this.stack;
    const max = this.ctx.options.maxBodySize;
    const server = new grpc.Server({ 'grpc.max_receive_message_length': max, 'grpc.max_send_message_length': max });
    const configuration = configurationGrpcApi(this.ctx);
    const handlers = { ...daprGrpcHandlers(this.ctx), ...configuration.unary };
    const impl: GrpcJs.UntypedServiceImplementation = {};
    for (const name of Object.keys(daprService)) {
      const handler = handlers[name];
      const stream = configuration.streams[name];
      if (handler && !daprService[name].requestStream && !daprService[name].responseStream) impl[name] = this.unary(name, handler);
      else if (stream && !daprService[name].requestStream && daprService[name].responseStream) impl[name] = this.serverStream(name, stream);
    }
    server.addService(daprService, impl);
    this.server = server;
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    return bound;
  }

  /** A server-streaming method: the same token check and error mapping as unary calls; the handler ends the stream. */
  private serverStream(name: string, handler: GrpcStreamHandler): GrpcJs.handleServerStreamingCall<unknown, unknown> {
    const grpc = this.stack.grpc;
    return (call) => {
      if (!this.tokenAccepted(call.metadata)) {
        call.emit('error', { code: GrpcCode.UNAUTHENTICATED, details: 'authentication error: api token mismatch', message: 'authentication error: api token mismatch' });
        return;
      }
      handler(call).then(
        () => {
          if (call.writable) call.end();
        },
        (err: unknown) => {
          const apiErr = err instanceof ApiError ? err : new ApiError(500, 'ERR_INTERNAL', (err as Error)?.message ?? String(err));
          if (!(err instanceof ApiError)) this.logger.error(`gRPC ${name}: ${(err as Error)?.stack ?? String(err)}`);
          call.emit('error', grpcStatusOf(apiErr, grpc));
        },
      );
    };
  }

  private tokenAccepted(metadata: GrpcJs.Metadata): boolean {
    if (!this.token) return true;
    const presented = metadata.getMap()['dapr-api-token'];
    return this.token.tokenMatches(typeof presented === 'string' ? presented : undefined);
  }

  private unary(name: string, handler: GrpcHandler): GrpcJs.handleUnaryCall<unknown, unknown> {
    const grpc = this.stack.grpc;
    return (call, callback) => {
      const md = call.metadata.getMap();
      if (!this.tokenAccepted(call.metadata)) {
        callback({ code: GrpcCode.UNAUTHENTICATED, details: 'authentication error: api token mismatch', message: 'authentication error: api token mismatch' } as GrpcJs.ServiceError);
        return;
      }
      const headers: Record<string, string> = {};
      for (const k in md) {
        const v = md[k];
        if (typeof v === 'string' && !NOT_HEADERS.has(k) && !k.startsWith(':') && !k.endsWith('-bin')) headers[k] = v;
      }
      const run = () => handler(call.request, headers);
      const pending = headers.traceparent ? context.with(extractTraceContext(headers, ROOT_CONTEXT), run) : run();
      pending.then(
        (res) => callback(null, res),
        (err: unknown) => {
          const apiErr = err instanceof ApiError ? err : new ApiError(500, 'ERR_INTERNAL', (err as Error)?.message ?? String(err));
          if (!(err instanceof ApiError)) this.logger.error(`gRPC ${name}: ${(err as Error)?.stack ?? String(err)}`);
          callback(grpcStatusOf(apiErr, grpc) as GrpcJs.ServiceError);
        },
      );
    };
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2000);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
