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
