export * from './dapr.error';
export * from './component-config.error';
export * from './component-init.error';
export * from './secret.errors';
export * from './pubsub.errors';
export * from './bindings.errors';
export * from './resiliency.errors';
export * from './state.errors';
