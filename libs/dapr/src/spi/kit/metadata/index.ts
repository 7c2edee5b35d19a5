/** Declared driver metadata and Dapr's decoding rules (the driver kit's metadata part). */
export * from './metadata-schema';
export { decodeMetadata, decodeDuration, inspectMetadata, metadataError, type DecodeOptions, type MetadataOrigin } from './metadata-decoder';
export { parseGoDuration, parseGoInt, parseGoBool, parseGoFloat, parseQuantity, isTruthy, toIsoDuration } from './go-values';
export { didYouMean } from './did-you-mean';
export { RUNTIME_FIELDS } from './runtime-fields';
