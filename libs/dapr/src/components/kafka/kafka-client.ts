import type { CompressionTypes, Kafka } from 'kafkajs';
import type { Logger } from '@nestjs/common';
import { loadPackage } from '../../spi/kit/load-package';
import { prepareCompression } from './compression.codecs';
import { kafkaClientConfig, type KafkaConnectionSettings } from './kafka-connection';
import { oauthBearerMechanism } from './oauthbearer.mechanism';
import { OidcTokenSource } from './oidc.token-source';

export type KafkaJs = typeof import('kafkajs');

/** A kafkajs client set up for one component (pub/sub or binding). */
export interface KafkaClient {
  kafkajs: KafkaJs;
  kafka: Kafka;
  /** What `producer.send` takes for the configured `compression` (undefined: none). */
  compression?: CompressionTypes;
  /** Releases what the client holds besides its producers and consumers (the OIDC token endpoint's connections). */
  close(): Promise<void>;
}

/**
 * Loads kafkajs and what the settings need before anything connects, so that
 * start-up fails with the cause: a codec package that is not installed
 * (MissingPackageError naming `npm install`), or OIDC client credentials the
 * token endpoint refuses (OidcTokenError) — as Dapr's Init fails when sarama
 * cannot get its first token. (A token the broker refuses fails the first
 * connection, with the broker's reason: see oauthBearerMechanism.)
 */
export async function openKafkaClient(componentType: string, settings: KafkaConnectionSettings, logger: Logger): Promise<KafkaClient> {
  const kafkajs = await loadPackage<KafkaJs>(componentType, 'kafkajs');
  const compression = await prepareCompression(kafkajs, componentType, settings.compression);
  let tokens: OidcTokenSource | undefined;
  if (settings.oidc) {
    if (settings.oidc.defaultScopes) {
      logger.warn('no oidcScopes configured: requesting the default "openid" scope only (as Dapr does); tokens may then be reusable elsewhere');
    }
    tokens = new OidcTokenSource(settings.component, settings.oidc);
    try {
      await tokens.token();
    } catch (err) {
      await tokens.close();
      throw err;
    }
  }
  const oauthBearer = tokens && oauthBearerMechanism(kafkajs, () => tokens.token());
  const kafka = new kafkajs.Kafka(kafkaClientConfig(settings, kafkajs.logLevel.WARN, oauthBearer));
  return { kafkajs, kafka, compression, close: async () => tokens?.close() };
}

