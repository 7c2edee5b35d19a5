import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig, logCreator, SASLOptions } from 'kafkajs';
import { Logger } from '@nestjs/common';
import { MissingMetadataError } from '../../errors/component-config.error';
import type { ComponentMetadata } from '../../spi/component.spi';
import { MetadataReader } from '../../spi/kit/metadata-reader';

export type KafkaAuthType = 'none' | 'password' | 'mtls' | 'certificate';
const AUTH_TYPES: readonly KafkaAuthType[] = ['none', 'password', 'mtls', 'certificate'];

/** Connection settings shared by the Kafka pub/sub driver (and a future Kafka binding). */
export interface KafkaConnectionSettings {
  component: string;
  brokers: string[];
  clientId: string;
  authType: KafkaAuthType;
  ssl?: ConnectionOptions | boolean;
  sasl?: SASLOptions;
  /** sarama's producer default (1,000,000 bytes); records above it are refused before sending. */
  maxMessageBytes: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  acks: -1 | 0 | 1;
  compression: 'none' | 'gzip';
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
  const r = new MetadataReader(md.name, md.properties);
  const brokerList = r.string('brokers');
  if (!brokerList) throw new MissingMetadataError(md.name, 'brokers');
  const brokers = brokerList
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);

  let authType = r.oneOf('authType', AUTH_TYPES, legacyAuthType(r));
  const disableTls = r.bool('disableTls', false);
  const skipVerify = r.bool('skipVerify', false);
  const caCert = pem(r, 'caCert');
  const clientCert = pem(r, 'clientCert');
  const clientKey = pem(r, 'clientKey');

  let sasl: SASLOptions | undefined;
  if (authType === 'password') {
    const username = r.string('saslUsername');
    const password = r.string('saslPassword');
    if (!username) throw new MissingMetadataError(md.name, 'saslUsername');
    if (!password) throw new MissingMetadataError(md.name, 'saslPassword');
    sasl = { mechanism: saslMechanism(r), username, password } as SASLOptions;
  }
  if (authType === 'mtls') {
    if (disableTls) throw r.error('disableTls', 'cannot be true with authType "mtls"');
    if (!clientCert !== !clientKey) throw r.error(clientCert ? 'clientKey' : 'clientCert', 'is required with the other half of the key pair');
  }
  if (authType === 'certificate' && !caCert) throw new MissingMetadataError(md.name, 'caCert');
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

  const acksName = r.oneOf('producerRequiredAcks', ['all', 'local', 'none'] as const, 'all');
  const numPartitions = r.int('numPartitions', 0, 0);
  const excludeRe = r.string('excludeHeaderMetaRegex');
  let excludeHeaderMetaRegex: RegExp | undefined;
  if (excludeRe) {
    try {
      excludeHeaderMetaRegex = new RegExp(excludeRe);
    } catch (err) {
      throw r.error('excludeHeaderMetaRegex', `is not a valid regular expression: ${(err as Error).message}`);
    }
  }

  return {
    component: md.name,
    brokers,
    clientId: r.string('clientId', 'clientID') ?? md.appId,
    authType,
    ssl,
    sasl,
    maxMessageBytes: r.int('maxMessageBytes', 0, 0) || DEFAULT_MAX_MESSAGE_BYTES,
    sessionTimeoutMs: r.durationMs('sessionTimeout', 10_000),
    heartbeatIntervalMs: r.durationMs('heartbeatInterval', 3_000),
    acks: acksName === 'all' ? -1 : acksName === 'local' ? 1 : 0,
    compression: r.oneOf('compression', ['none', 'gzip'] as const, 'none'),
    // Dapr creates topics when `numPartitions` is set; `autoCreateTopics` asks for it explicitly.
    autoCreateTopics: r.bool('autoCreateTopics', numPartitions > 0),
    numPartitions: numPartitions || 1,
    replicationFactor: r.int('replicationFactor', 1, 1),
    escapeHeaders: r.bool('escapeHeaders', false),
    excludeHeaderMetaRegex,
  };
}

/** The kafkajs client configuration for these settings. */
export function kafkaClientConfig(s: KafkaConnectionSettings, logLevelWarn: number): KafkaConfig {
  return {
    clientId: s.clientId,
    brokers: s.brokers,
    ssl: s.ssl,
    sasl: s.sasl,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
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

function legacyAuthType(r: MetadataReader): KafkaAuthType {
  // Dapr upgrades the deprecated `authRequired` flag: password when a SASL password is given, else mTLS.
  const required = r.string('authRequired');
  if (required === undefined) return 'none';
  if (!r.bool('authRequired', false)) return 'none';
  return r.string('saslPassword') ? 'password' : 'mtls';
}

function saslMechanism(r: MetadataReader): 'plain' | 'scram-sha-256' | 'scram-sha-512' {
  const v = (r.string('saslMechanism') ?? '').trim().toUpperCase();
  if (v === '' || v === 'PLAIN' || v === 'PLAINTEXT') return 'plain';
  if (v === 'SHA-256' || v === 'SCRAM-SHA-256') return 'scram-sha-256';
  if (v === 'SHA-512' || v === 'SCRAM-SHA-512') return 'scram-sha-512';
  throw r.error('saslMechanism', `"${v}" is not one of PLAIN, SHA-256, SHA-512`);
}

function pem(r: MetadataReader, field: string): string | undefined {
  const v = r.string(field);
  if (v === undefined) return undefined;
  if (!/-----BEGIN [A-Z0-9 ]+-----/.test(v)) throw r.error(field, 'is not a PEM block');
  return v;
}
