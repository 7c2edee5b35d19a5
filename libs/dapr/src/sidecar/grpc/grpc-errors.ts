import type * as GrpcJs from '@grpc/grpc-js';
import { ApiError } from '../http/api-error';

/** gRPC status codes (numeric, so that nothing here needs @grpc/grpc-js loaded). */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** daprd's gRPC codes for the errors whose HTTP status alone would say too little. */
const BY_CODE: Record<string, number> = {
  ERR_STATE_STORE_NOT_CONFIGURED: GrpcCode.FAILED_PRECONDITION,
  ERR_PUBSUB_NOT_CONFIGURED: GrpcCode.FAILED_PRECONDITION,
  ERR_SECRET_STORES_NOT_CONFIGURED: GrpcCode.FAILED_PRECONDITION,
  ERR_SECRET_STORE_NOT_FOUND: GrpcCode.INVALID_ARGUMENT,
  ERR_STATE_STORE_NOT_FOUND: GrpcCode.INVALID_ARGUMENT,
  ERR_PUBSUB_NOT_FOUND: GrpcCode.INVALID_ARGUMENT,
  ERR_LOCK_STORE_NOT_CONFIGURED: GrpcCode.FAILED_PRECONDITION,
  ERR_CONFIGURATION_STORE_NOT_CONFIGURED: GrpcCode.FAILED_PRECONDITION,
  ERR_CONFIGURATION_STORE_NOT_FOUND: GrpcCode.INVALID_ARGUMENT,
  ERR_CONFIGURATION_SUBSCRIBE: GrpcCode.INVALID_ARGUMENT,
};

/** The HTTP status → gRPC code mapping Google's API design guide (and daprd) use. */
export function grpcCodeForHttp(status: number): number {
  if (status >= 200 && status < 300) return GrpcCode.OK;
  switch (status) {
    case 400:
      return GrpcCode.INVALID_ARGUMENT;
    case 401:
      return GrpcCode.UNAUTHENTICATED;
    case 403:
      return GrpcCode.PERMISSION_DENIED;
    case 404:
      return GrpcCode.NOT_FOUND;
    case 409:
      return GrpcCode.ABORTED;
    case 413:
    case 429:
      return GrpcCode.RESOURCE_EXHAUSTED;
    case 499:
      return GrpcCode.CANCELLED;
    case 501:
      return GrpcCode.UNIMPLEMENTED;
    case 503:
      return GrpcCode.UNAVAILABLE;
    case 504:
      return GrpcCode.DEADLINE_EXCEEDED;
    default:
      return status >= 500 ? GrpcCode.INTERNAL : GrpcCode.UNKNOWN;
  }
}

/** A Dapr API error as a gRPC status: the code daprd gives it, Dapr's message, the `ERR_*` code in the trailers. */
export function grpcStatusOf(err: ApiError, grpc: typeof GrpcJs): Partial<GrpcJs.StatusObject> & { message: string } {
  const metadata = new grpc.Metadata();
  metadata.set('dapr-error-code', err.errorCode);
  const code = BY_CODE[err.errorCode] ?? grpcCodeForHttp(err.status);
  return { code, details: err.message, message: err.message, metadata };
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}
