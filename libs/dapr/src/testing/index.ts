/** nest-dapr/testing: run an app on in-memory components and drive it from tests. */
export { DaprTestingModule, type DaprTestingOptions } from './dapr-testing.module';
export { DaprTestHarness } from './dapr-test.harness';
export { StubResponse, type AppStub, type StubHandler, type StubRequest } from './app-stubs';
export type { PublishedMessage } from './pubsub-recorder';
export type { BindingStub, BindingStubResult } from './testing.binding';
export type { InMemoryConfigurationInput } from '../components/in-memory/in-memory.configuration-store';
