/**
 * Declared driver metadata and Dapr's decoding rules: what a driver (built-in
 * or third-party) needs to declare its fields once and decode them.
 */
export * from './metadata-schema';
export { decodeMetadata, metadataError, type DecodeOptions, type MetadataOrigin } from './metadata-decoder';
export { resolverMetadataOrigin } from './resolver-configuration';
