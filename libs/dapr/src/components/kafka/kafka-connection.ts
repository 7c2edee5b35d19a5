import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig, logCreator, Mechanism, SASLOptions } from 'kafkajs';
import { Logger } from '@nestjs/common';
import { MissingMetadataError } from '../../errors/component-config.error';
import type { ComponentMetadata } from '../../spi/component.spi';
import { decodeMetadata, metadataError, type DecodedMetadata } from '../../spi/kit/metadata';
import { KAFKA_PUBSUB_METADATA } from './kafka.metadata';
import type { KafkaCompression } from './compression.codecs';
import type { OidcClientCredentials } from './oidc.token-source';

export type KafkaAuthType = 'none' | 'password' | 'mtls' | 'certificate' | 'oidc';

/** Connection settings shared by the Kafka pub/sub driver (and a future Kafka binding). */
export interface KafkaConnectionSettings {
  component: string;
  brokers: string[];
  clientId: string;
  authType: KafkaAuthType;
  ssl?: ConnectionOptions | boolean;
  sasl?: SASLOptions;
  /** authType oidc: where SASL/OAUTHBEARER tokens come from; `defaultScopes` when oidcScopes was empty. */
  oidc?: OidcClientCredentials & { defaultScopes: boolean };
  /** sarama's producer default (1,000,000 bytes); records above it are refused before sending. */
  maxMessageBytes: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  acks: -1 | 0 | 1;
  compression: KafkaCompression;
  /** Create missing topics with `numPartitions`/`replicationFactor` before use. */
  autoCreateTopics: boolean;
  numPartitions: number;
  replicationFactor: number;
  escapeHeaders: boolean;
  excludeHeaderMetaRegex?: RegExp;
}

const DEFAULT_MAX_MESSAGE_BYTES = 1_000_000;

/**
 * Reads Dapr's Kafka metadata (`cc:common/component/kafka/metadata.go`) into
 * kafkajs terms. Field names and defaults follow Dapr; `authType` defaults to
 * `none` instead of being required.
 */
export function parseKafkaConnection(md: ComponentMetadata): KafkaConnectionSettings {
  const m = decodeMetadata(KAFKA_PUBSUB_METADATA, md);
  const brokers = m.brokers;
  if (!brokers.length) throw new MissingMetadataError(md.name, 'brokers', md.source);

  let authType: KafkaAuthType = m.authType ?? legacyAuthType(m);
  const { disableTls, skipVerify } = m;
  const caCert = pem(md, 'caCert', m.caCert);
  const clientCert = pem(md, 'clientCert', m.clientCert);
  const clientKey = pem(md, 'clientKey', m.clientKey);

  let sasl: SASLOptions | undefined;
  if (authType === 'password') {
    if (!m.saslUsername) throw new MissingMetadataError(md.name, 'saslUsername', md.source);
    if (!m.saslPassword) throw new MissingMetadataError(md.name, 'saslPassword', md.source);
    sasl = { mechanism: saslMechanism(md, m.saslMechanism), username: m.saslUsername, password: m.saslPassword } as SASLOptions;
  }
  let oidc: KafkaConnectionSettings['oidc'];
  if (authType === 'oidc') oidc = parseOidc(md, m, caCert);
  if (authType === 'mtls') {
    if (disableTls) throw metadataError(md, 'disableTls', 'cannot be true with authType "mtls"');
    if (!clientCert !== !clientKey) throw metadataError(md, clientCert ? 'clientKey' : 'clientCert', 'is required with the other half of the key pair');
  }
  if (authType === 'certificate' && !caCert) throw new MissingMetadataError(md.name, 'caCert', md.source);
  authType = authType ?? 'none';

  let ssl: ConnectionOptions | boolean | undefined;
  // As in Dapr: TLS is on for every auth type except `none`, unless disabled.
  if (authType !== 'none' && !disableTls) {
    const tls: ConnectionOptions = { rejectUnauthorized: !skipVerify };
    if (caCert) tls.ca = [caCert];
    if (authType === 'mtls' && clientCert && clientKey) {
      tls.cert = clientCert;
      tls.key = clientKey;
    }
    ssl = tls;
  }

  let excludeHeaderMetaRegex: RegExp | undefined;
  if (m.excludeHeaderMetaRegex) {
    try {
      excludeHeaderMetaRegex = new RegExp(m.excludeHeaderMetaRegex);
    } catch (err) {
      throw metadataError(md, 'excludeHeaderMetaRegex', `is not a valid regular expression: ${(err as Error).message}`);
    }
  }

  return {
    component: md.name,
    brokers,
    clientId: m.clientID || md.appId,
    authType,
    ssl,
    sasl,
    oidc,
    maxMessageBytes: m.maxMessageBytes || DEFAULT_MAX_MESSAGE_BYTES,
    sessionTimeoutMs: m.sessionTimeout,
    heartbeatIntervalMs: m.heartbeatInterval,
    acks: m.producerRequiredAcks === 'all' ? -1 : m.producerRequiredAcks === 'local' ? 1 : 0,
    compression: m.compression,
    // Dapr creates topics when `numPartitions` is set; `autoCreateTopics` asks for it explicitly.
    autoCreateTopics: m.autoCreateTopics ?? m.numPartitions > 0,
    numPartitions: m.numPartitions || 1,
    replicationFactor: m.replicationFactor,
    escapeHeaders: m.escapeHeaders,
    excludeHeaderMetaRegex,
  };
}

/** The kafkajs client configuration for these settings (`oauthBearer`: the SASL mechanism of authType oidc). */
export function kafkaClientConfig(s: KafkaConnectionSettings, logLevelWarn: number, oauthBearer?: Mechanism): KafkaConfig {
  return {
    clientId: s.clientId,
    brokers: s.brokers,
    ssl: s.ssl,
    sasl: oauthBearer ?? s.sasl,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    // kafkajs' default, stated because the OIDC token source's refresh margin is built on it.
    reauthenticationThreshold: 10_000,
    logLevel: logLevelWarn,
    logCreator: nestLogCreator(s.component),
    // Reconnect patiently: a broker restart must not crash consumers for good.
    retry: { initialRetryTime: 200, maxRetryTime: 5_000, retries: 8 },
  };
}

/** Routes kafkajs' own log lines to a Nest Logger named after the component. */
function nestLogCreator(component: string): logCreator {
  const logger = new Logger(`pubsub.kafka/${component}`);
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const detail = extra.error ? ` (${String(extra.error)})` : '';
      const line = `${message}${detail}`;
      // Answers the broker gives while a new topic is being created are retried by kafkajs; not errors.
      if (TRANSIENT.test(line)) logger.debug(line);
      else if (level <= 1) logger.error(line);
      else if (level === 2) logger.warn(line);
      else logger.debug(line);
    };
}

const TRANSIENT = /does not host this topic-partition|no leader for this topic-partition|Topic creation errors/;

type KafkaMetadata = DecodedMetadata<typeof KAFKA_PUBSUB_METADATA.fields>;

function legacyAuthType(m: KafkaMetadata): KafkaAuthType {
  // Dapr upgrades the deprecated `authRequired` flag: password when a SASL password is given, else mTLS.
  if (!m.authRequired) return 'none';
  return m.saslPassword ? 'password' : 'mtls';
}

/** Dapr's checks for authType oidc (`metadata.go`): endpoint, client id and secret required, extensions a non-empty JSON object. */
function parseOidc(md: ComponentMetadata, m: KafkaMetadata, caCert: string | undefined): NonNullable<KafkaConnectionSettings['oidc']> {
  if (!m.oidcTokenEndpoint) throw new MissingMetadataError(md.name, 'oidcTokenEndpoint', md.source);
  if (!m.oidcClientID) throw new MissingMetadataError(md.name, 'oidcClientID', md.source);
  if (!m.oidcClientSecret) throw new MissingMetadataError(md.name, 'oidcClientSecret', md.source);
  let endpoint: URL;
  try {
    endpoint = new URL(m.oidcTokenEndpoint);
  } catch {
    throw metadataError(md, 'oidcTokenEndpoint', `"${m.oidcTokenEndpoint}" is not a URL`);
  }
  if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') {
    throw metadataError(md, 'oidcTokenEndpoint', `"${m.oidcTokenEndpoint}" is not an http(s) URL`);
  }
  const scopes = (m.oidcScopes ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  let extensions: Record<string, string> | undefined;
  if (m.oidcExtensions) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(m.oidcExtensions);
    } catch {
      parsed = undefined;
    }
    const entries = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? Object.entries(parsed) : [];
    if (!entries.length || entries.some(([, v]) => typeof v !== 'string')) {
      throw metadataError(md, 'oidcExtensions', 'must be a JSON object of string values with at least one entry');
    }
    extensions = Object.fromEntries(entries) as Record<string, string>;
  }
  return {
    tokenEndpoint: m.oidcTokenEndpoint,
    clientId: m.oidcClientID,
    clientSecret: m.oidcClientSecret,
    scopes: scopes.length ? scopes : ['openid'],
    defaultScopes: !scopes.length,
    extensions,
    ca: caCert,
    skipVerify: m.skipVerify,
  };
}

function saslMechanism(md: ComponentMetadata, raw: string): 'plain' | 'scram-sha-256' | 'scram-sha-512' {
  const v = raw.trim().toUpperCase();
  if (v === '' || v === 'PLAIN' || v === 'PLAINTEXT') return 'plain';
  if (v === 'SHA-256' || v === 'SCRAM-SHA-256') return 'scram-sha-256';
  if (v === 'SHA-512' || v === 'SCRAM-SHA-512') return 'scram-sha-512';
  throw metadataError(md, 'saslMechanism', `"${v}" is not one of PLAIN, SHA-256, SHA-512`);
}

function pem(md: ComponentMetadata, field: string, v: string | undefined): string | undefined {
  if (!v) return undefined;
  if (!/-----BEGIN [A-Z0-9 ]+-----/.test(v)) throw metadataError(md, field, 'is not a PEM block');
  return v;
}
