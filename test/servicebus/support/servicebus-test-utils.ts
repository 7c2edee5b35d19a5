import { randomUUID } from 'node:crypto';
import type { ComponentMetadata, DeliveryOutcome, PubSubMessage } from 'nest-dapr/spi';

/** A short unique suffix so parallel runs and repeated tests never share entities. */
export function uniq(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function componentMetadata(
  type: 'pubsub.azure.servicebus.topics' | 'pubsub.azure.servicebus.queues',
  properties: Record<string, string>,
  name = 'sb',
  appId = 'sb-app',
): ComponentMetadata {
  return { name, type, version: 'v1', properties, appId };
}

export const bytes = (s: string): Uint8Array => Buffer.from(s, 'utf8');
export const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

/** Polls until `check` returns true or the deadline passes (then fails with `what`). */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Records every delivery and answers with a scripted outcome. */
export class RecordingHandler {
  readonly received: PubSubMessage[] = [];
  constructor(private readonly decide: (m: PubSubMessage, attempt: number) => DeliveryOutcome | Promise<DeliveryOutcome> = () => 'SUCCESS') {}

  readonly handle = async (m: PubSubMessage): Promise<DeliveryOutcome> => {
    this.received.push(m);
    const attempt = this.received.filter((r) => text(r.data) === text(m.data)).length;
    return this.decide(m, attempt);
  };

  texts(): string[] {
    return this.received.map((m) => text(m.data));
  }
}
