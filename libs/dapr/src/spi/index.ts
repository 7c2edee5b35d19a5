/**
 * The component SPI (published as `nest-dapr/spi`): the contracts a driver
 * implements, how it registers, and the driver kit it may build on. The
 * building blocks (state, pubsub, bindings, secrets, invocation) hold all
 * shared semantics and talk to drivers only through these interfaces. Nothing
 * under `spi/` imports the runtime, a driver or a block.
 */
export * from './component.spi';
export * from './state.spi';
export * from './state-query.spi';
export * from './pubsub.spi';
export * from './bindings.spi';
export * from './secret-store.spi';
export * from './lock.spi';
export * from './configuration.spi';
export * from './name-resolver.spi';
export * from './driver-registration.spi';
export * from './kit';
