/**
 * The component SPI: the contracts a driver implements. The building blocks
 * (state, pubsub, bindings, secrets, invocation) hold all shared semantics and
 * talk to drivers only through these interfaces.
 */
export * from './spi/component.spi';
export * from './spi/state.spi';
export * from './spi/pubsub.spi';
export * from './spi/bindings.spi';
export * from './spi/secret-store.spi';
export * from './spi/name-resolver.spi';

// What a third-party driver needs besides the contracts: registering its
// component types, loading its client package on first use, and Dapr's
// duration syntax for metadata. Published as `nest-dapr/spi`.
export { registerComponent, type DriverRegistration } from '../runtime/component-registry';
export { loadPackage } from '../runtime/load-package';
export { parseDuration } from '../runtime/duration';
