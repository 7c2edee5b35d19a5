/**
 * The driver kit: the small helpers every driver shares, so a driver folder
 * holds only what is broker- or database-specific. Built on the SPI and the
 * typed errors only; nothing here knows the runtime or a building block.
 */
export { SubscriptionSet, type DriverSubscription } from './subscription-set';
export { loadPackage } from './load-package';
export { parseDuration } from './duration';
export { evaluateStateQuery, type QueryCandidate } from './state-query.evaluator';
export * from './metadata';
export { metadataFromJson } from './message-metadata';
export { BrokerPubSub } from './broker-pubsub.base';
export { ConfigurationWatch, DELETED_ITEM } from './configuration-watch';
