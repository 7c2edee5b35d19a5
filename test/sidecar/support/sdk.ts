import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import type { RunningSidecar } from './sidecar-process';

export type Protocol = 'HTTP' | 'GRPC';

/** The protocols every SDK suite runs with. */
export const PROTOCOLS: Protocol[] = ['HTTP', 'GRPC'];

/** A DaprClient of the official SDK pointed at a running `nest-dapr run`. */
export function sdkClient(sidecar: RunningSidecar, protocol: Protocol, extra: { daprApiToken?: string } = {}): DaprClient {
  return new DaprClient({
    daprHost: '127.0.0.1',
    daprPort: String(protocol === 'HTTP' ? sidecar.http : sidecar.grpc),
    communicationProtocol: protocol === 'HTTP' ? CommunicationProtocolEnum.HTTP : CommunicationProtocolEnum.GRPC,
    logger: { level: LogLevel.Error, service: { error: () => undefined, warn: () => undefined, info: () => undefined, verbose: () => undefined, debug: () => undefined } },
    ...extra,
  });
}

/** The `{error, error_msg, status}` the SDK's HTTP client throws, with Dapr's error body parsed. */
export function sdkHttpError(err: unknown): { status: number; errorCode?: string; message?: string; body: string } {
  const parsed = JSON.parse((err as Error).message) as { status: number; error_msg: string };
  let body: { errorCode?: string; message?: string } = {};
  try {
    body = JSON.parse(parsed.error_msg) as typeof body;
  } catch {
    // not JSON
  }
  return { status: parsed.status, errorCode: body.errorCode, message: body.message, body: parsed.error_msg };
}

/** Runs `fn` and returns what it threw (fails when it did not throw). */
export async function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}
