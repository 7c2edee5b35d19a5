import { connect, type ConnectionOptions, type NatsConnection } from 'nats';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** A raw nats connection for arranging and inspecting what the driver does. */
export function rawNats(servers = NATS_URL, options: Partial<ConnectionOptions> = {}): Promise<NatsConnection> {
  return connect({ servers, name: 'nest-dapr test', ...options });
}

/** Deletes the streams a spec created: names starting with `prefix`, or those `match` accepts. */
export async function deleteStreams(prefix: string | ((name: string) => boolean), servers = NATS_URL): Promise<void> {
  const match = typeof prefix === 'string' ? (name: string) => name.startsWith(prefix) : prefix;
  const nc = await rawNats(servers);
  try {
    const jsm = await nc.jetstreamManager();
    for await (const name of jsm.streams.names()) {
      if (match(name)) await jsm.streams.delete(name).catch(() => undefined);
    }
  } finally {
    await nc.close();
  }
}
