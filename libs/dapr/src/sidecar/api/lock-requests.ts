import { UNLOCK_STATUSES, type UnlockStatus } from '../../spi/lock.spi';
import { apiErrorOf, malformed, type ApiError, type StatusTable } from '../http/api-error';

/** daprd's statuses for the lock API's errors (`pkg/messages/predefined.go`). */
const LOCK_STATUS: StatusTable = {
  ERR_MALFORMED_REQUEST: 400,
  ERR_LOCK_STORE_NOT_FOUND: 400,
  ERR_LOCK_STORE_NOT_CONFIGURED: 500,
  ERR_TRY_LOCK: 500,
  ERR_UNLOCK: 500,
};

export const lockApiError = (err: unknown, op: 'lock' | 'unlock'): ApiError => apiErrorOf(err, LOCK_STATUS, op === 'lock' ? 'ERR_TRY_LOCK' : 'ERR_UNLOCK');

/** `UnlockResponse.Status` as its enum number (daprd answers `{"status":1}` over HTTP). */
export const unlockStatusNumber = (status: UnlockStatus): number => Math.max(0, UNLOCK_STATUSES.indexOf(status));

/** The lock API's request fields, read from the HTTP body as protojson reads `TryLockRequest` / `UnlockRequest`. */
export interface LockRequestFields {
  resourceId: string;
  lockOwner: string;
  expiryInSeconds: number;
}

/**
 * protojson's rules: a field under its JSON name or its proto name, unknown
 * fields ignored (daprd sets DiscardUnknown), null as the default, strings
 * only where the proto has a string, an int32 as a whole number or a decimal
 * string in range. Anything else is 400 "failed deserializing HTTP body".
 */
export function lockRequestFromJson(body: unknown): LockRequestFields {
  if (body === undefined) return { resourceId: '', lockOwner: '', expiryInSeconds: 0 };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed('failed deserializing HTTP body: expected a JSON object');
  const o = body as Record<string, unknown>;
  const pick = (json: string, proto: string): unknown => (o[json] !== undefined ? o[json] : o[proto]);
  return {
    resourceId: protoString(pick('resourceId', 'resource_id'), 'resourceId'),
    lockOwner: protoString(pick('lockOwner', 'lock_owner'), 'lockOwner'),
    expiryInSeconds: protoInt32(pick('expiryInSeconds', 'expiry_in_seconds'), 'expiryInSeconds'),
  };
}

function protoString(v: unknown, name: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw malformed(`failed deserializing HTTP body: invalid value for string field ${name}: ${JSON.stringify(v)}`);
  return v;
}

function protoInt32(v: unknown, name: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : Number.NaN;
  if (!Number.isInteger(n) || n < -(2 ** 31) || n > 2 ** 31 - 1) {
    throw malformed(`failed deserializing HTTP body: invalid value for int32 field ${name}: ${JSON.stringify(v)}`);
  }
  return n;
}
