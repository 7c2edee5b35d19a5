import { DaprError } from './dapr.error';

/** `nest-dapr run` was given a flag it does not know, or a value it cannot use; the message names the flag. */
export class CliUsageError extends DaprError {
  constructor(
    message: string,
    readonly flag?: string,
  ) {
    super(message, 'ERR_CLI_USAGE');
  }
}

/** The sidecar (or sidecar mode of the module) was configured in a way that cannot work. */
export class SidecarConfigError extends DaprError {
  constructor(message: string) {
    super(message, 'ERR_SIDECAR_CONFIG');
  }
}

/** The gRPC API or a gRPC app channel was asked for, but its packages are not installed. */
export class GrpcPackagesMissingError extends DaprError {
  constructor(
    readonly missing: string,
    readonly install = 'npm install @grpc/grpc-js @grpc/proto-loader @dapr/dapr',
  ) {
    super(
      `Dapr's gRPC API needs the package ${missing} (@grpc/grpc-js serves it, @grpc/proto-loader reads the .proto files that @dapr/dapr ships): ${install}`,
      'ERR_MISSING_PACKAGE',
    );
  }
}

/** Sidecar mode: daprd (or `nest-dapr run`) could not be reached, or was not ready in time. */
export class SidecarUnavailableError extends DaprError {
  constructor(
    readonly endpoint: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Dapr sidecar at ${endpoint} is not reachable: ${reason}`, 'ERR_SIDECAR_UNAVAILABLE', options);
  }
}

/**
 * Sidecar mode: daprd refused a call; `errorCode` and `message` are daprd's,
 * `status` its HTTP status. Errors the blocks know (ETag conflicts, invocation
 * failures) are thrown as their own classes instead.
 */
export class SidecarApiError extends DaprError {
  constructor(
    readonly status: number,
    errorCode: string,
    message: string,
  ) {
    super(message, errorCode);
  }
}
