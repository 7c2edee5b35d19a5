import type { ConnectionOptions, JetStreamOptions, NatsConnection } from 'nats';
import type { ComponentMetadata } from '../../spi/component.spi';
import { decodeMetadata, metadataError } from '../../spi/kit/metadata';
import { parseGoDuration } from '../../spi/kit/metadata/go-values';
import { loadPackage } from '../../spi/kit/load-package';
import { JETSTREAM_PUBSUB_METADATA, type JetStreamMetadata } from './jetstream.metadata';

export type Nats = typeof import('nats');

/** The decoded component metadata plus what Dapr derives from it in `parseMetadata`. */
export interface JetStreamSettings extends JetStreamMetadata {
  /** `backOff` as milliseconds. */
  backOffMs: number[];
}

/** Decodes a component's (or, with `overrides`, a subscription's) metadata with Dapr's checks. */
export function parseJetStreamSettings(md: ComponentMetadata, overrides?: Record<string, string>): JetStreamSettings {
  const m = decodeMetadata(JETSTREAM_PUBSUB_METADATA, md, overrides ? { overrides: [overrides] } : {});
  // Dapr: a jwt needs its seed and a client certificate its key, and the other way round.
  if (m.jwt && !m.seedKey) throw metadataError(md, 'seedKey', 'is missing (jwt is set)');
  if (!m.jwt && m.seedKey) throw metadataError(md, 'jwt', 'is missing (seedKey is set)');
  if (m.tls_client_cert && !m.tls_client_key) throw metadataError(md, 'tls_client_key', 'is missing (tls_client_cert is set)');
  if (!m.tls_client_cert && m.tls_client_key) throw metadataError(md, 'tls_client_cert', 'is missing (tls_client_key is set)');
  if (m.deliverPolicy === 'sequence' && !m.startSequence) throw metadataError(md, 'startSequence', 'is required with deliverPolicy sequence');
  if (m.deliverPolicy === 'time' && m.startTime === undefined) throw metadataError(md, 'startTime', 'is required with deliverPolicy time');
  if (m.autoCreateStream && m.streamName && !isValidStreamName(m.streamName)) {
    throw metadataError(md, 'streamName', `"${m.streamName}" is not a stream name (no spaces, ".", "*", ">", "/" or "\\")`);
  }
  const backOffMs = (m.backOff ?? []).map((text, i) => {
    // Accept the YAML-list look of Dapr's example ("[1s, 2s, 4s]").
    const item = text.replace(/^\[/, '').replace(/\]$/, '').trim();
    const ms = parseGoDuration(item);
    if (ms === undefined || ms <= 0) throw metadataError(md, 'backOff', `item ${i + 1} "${item}" is not a positive duration`);
    return ms;
  });
  return { ...m, backOffMs };
}

/** A valid JetStream stream name: no whitespace, `.`, `*`, `>`, path separators. */
export function isValidStreamName(name: string): boolean {
  return name.length > 0 && !/[\s.*>/\\]/.test(name);
}

/** Connection options as Dapr builds them (nats.go defaults: 60 reconnects, 2 s apart). */
export function connectionOptions(nats: Nats, s: JetStreamSettings): ConnectionOptions {
  const opts: ConnectionOptions = {
    servers: s.natsURL.split(',').map((u) => u.trim()).filter(Boolean),
    name: s.name,
    maxReconnectAttempts: 60,
    reconnectTimeWait: 2_000,
  };
  // Dapr's precedence: jwt + seed, else a TLS client pair, else a token.
  if (s.jwt && s.seedKey) {
    opts.authenticator = nats.jwtAuthenticator(s.jwt, new TextEncoder().encode(s.seedKey));
  } else if (s.tls_client_cert && s.tls_client_key) {
    opts.tls = { ...pemOrFile('cert', s.tls_client_cert), ...pemOrFile('key', s.tls_client_key) };
  } else if (s.token) {
    opts.token = s.token;
  }
  return opts;
}

function pemOrFile(kind: 'cert' | 'key', value: string): Record<string, string> {
  const pem = value.includes('-----BEGIN');
  return kind === 'cert' ? (pem ? { cert: value } : { certFile: value }) : pem ? { key: value } : { keyFile: value };
}

export function jetStreamOptions(s: JetStreamSettings): JetStreamOptions {
  const opts: JetStreamOptions = {};
  if (s.domain) opts.domain = s.domain;
  if (s.apiPrefix) opts.apiPrefix = s.apiPrefix;
  return opts;
}

export async function openNatsConnection(componentType: string, s: JetStreamSettings): Promise<{ nats: Nats; nc: NatsConnection }> {
  const nats = await loadPackage<Nats>(componentType, 'nats');
  const nc = await nats.connect(connectionOptions(nats, s));
  return { nats, nc };
}
