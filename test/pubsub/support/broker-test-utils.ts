import { randomBytes } from 'node:crypto';
import type { ComponentMetadata } from '../../../libs/dapr/src/spi/component.spi';

/** A name no other test run uses, so runs can share the brokers. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Polls `check` until it returns true or the deadline passes (then throws with `what`). */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function componentMetadata(
  name: string,
  type: string,
  properties: Record<string, string>,
  appId = 'test-app',
): ComponentMetadata {
  return { name, type, version: 'v1', properties, appId };
}

export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const REDIS_HOST = process.env.REDIS_HOST ?? '127.0.0.1:6379';
export const RABBITMQ_URL = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
