import { DaprTestingError } from '../errors/testing.errors';
import type { INestApplication, Type } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import type { TestingModule } from '@nestjs/testing';
import { PubSubService } from '../pubsub/pubsub.service';
import type { PublishOptions } from '../pubsub/pubsub.interfaces';
import { StateService } from '../state/state.service';
import type { StateItem } from '../state/state.interfaces';
import { ComponentRuntime } from '../runtime/component-runtime';
import type { AppStub, AppStubs, StubRequest } from './app-stubs';
import type { PublishedMessage, PubSubRecorder } from './pubsub-recorder';
import type { BindingStub, TestingBinding } from './testing.binding';
import type { InMemoryConfigurationInput, InMemoryConfigurationStore } from '../components/in-memory/in-memory.configuration-store';

export interface DaprTestContext {
  recorder: PubSubRecorder;
  stubs: AppStubs;
  settleTimeoutMs: number;
  harness?: DaprTestHarness;
}

/**
 * What a test drives the app through under DaprTestingModule: publish and
 * `settle()`, inspect what was published per topic (dead-letter topics too),
 * stub invoked apps, seed and read state, fire input bindings, write configuration.
 * @publicApi
 */
export class DaprTestHarness {
  private nestApp?: INestApplication;

  constructor(
    private readonly moduleRef: TestingModule | INestApplication | ModuleRef,
    private readonly context: DaprTestContext,
  ) {}

  /** The initialised Nest application (from `create()`); use `app.getHttpServer()` with supertest. */
  get app(): INestApplication {
    if (!this.nestApp) throw new DaprTestingError('no Nest application: use DaprTestingModule.create(), or attachApp() your own');
    return this.nestApp;
  }

  attachApp(app: INestApplication): void {
    this.nestApp = app;
  }

  get<T>(token: Type<T> | string | symbol): T {
    return (this.nestApp ?? this.moduleRef).get<T>(token as Type<T>, { strict: false });
  }

  // ---- pub/sub ------------------------------------------------------------

  /** Publishes like the app would (CloudEvent envelope, scopes, tracing); handlers run on the in-memory broker. */
  publish(pubsub: string, topic: string, data: unknown, options?: PublishOptions): Promise<void> {
    return this.get(PubSubService).publish(pubsub, topic, data, options);
  }

  /**
   * Resolves once no delivery is running or waiting for redelivery and the
   * broker has been quiet for a few turns of the event loop (so events that
   * handlers publish are delivered too). Rejects after the timeout, naming
   * what is still busy — e.g. a handler that keeps asking for RETRY.
   */
  async settle(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.context.settleTimeoutMs;
    const recorder = this.context.recorder;
    const deadline = Date.now() + timeoutMs;
    let mark = -1;
    let quiet = 0;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 2));
      if (recorder.idle && recorder.activityMark === mark) {
        if (++quiet >= 3) return;
      } else {
        quiet = 0;
      }
      mark = recorder.activityMark;
      if (Date.now() > deadline) {
        throw new DaprTestingError(`DaprTestingModule: deliveries did not settle within ${timeoutMs} ms: ${recorder.describeBusy()}`);
      }
    }
  }

  /** Alias of `settle()`, for those used to test harnesses that call it so. */
  idle(options?: { timeoutMs?: number }): Promise<void> {
    return this.settle(options);
  }

  /** Every message published to `topic` (optionally on one pub/sub), oldest first, including dead-letter forwards. */
  published<T = unknown>(topic: string, pubsub?: string): PublishedMessage<T>[] {
    return this.context.recorder.messages.filter(
      (m) => m.topic === topic && (pubsub === undefined || m.pubsub === pubsub),
    ) as PublishedMessage<T>[];
  }

  /** The `data` of every message published to `topic`. */
  publishedData<T = unknown>(topic: string, pubsub?: string): T[] {
    return this.published<T>(topic, pubsub).map((m) => m.data);
  }

  /** Topics that saw at least one message. */
  topics(): string[] {
    return [...new Set(this.context.recorder.messages.map((m) => m.topic))];
  }

  clearPublished(): void {
    this.context.recorder.messages.length = 0;
  }

  // ---- invocation ---------------------------------------------------------

  /** Answers calls to `appId` in-process: a function, or routes like `{ 'GET stock/:sku': (req) => ... }`. */
  stubApp(appId: string, stub: AppStub): this {
    this.context.stubs.set(appId, stub);
    return this;
  }

  /** Calls the app made to stubbed apps, oldest first. */
  invocations(appId?: string): StubRequest[] {
    return this.context.stubs.calls.filter((c) => appId === undefined || c.appId === appId);
  }

  // ---- state --------------------------------------------------------------

  /** Saves `{ key: value }` entries into a state store (through StateService, so keys get the app's prefix). */
  async seed(store: string, entries: Record<string, unknown>): Promise<void> {
    const items = Object.entries(entries).map(([key, value]) => ({ key, value }));
    if (items.length) await this.get(StateService).save(store, items);
  }

  getState<T = unknown>(store: string, key: string): Promise<T | undefined> {
    return this.get(StateService).get<T>(store, key);
  }

  getStateItem<T = unknown>(store: string, key: string): Promise<StateItem<T> | undefined> {
    return this.get(StateService).getItem<T>(store, key);
  }

  // ---- bindings -----------------------------------------------------------

  /** Fires the input binding `name` once (a cron tick, a queue message) and returns the handler's answer. */
  triggerBinding(name: string, data?: unknown, metadata?: Record<string, string>): Promise<unknown> {
    return this.binding(name).trigger(data, metadata);
  }

  /** Answers output-binding calls on `name`. */
  stubBinding(name: string, stub: BindingStub): this {
    this.binding(name).stub = stub;
    return this;
  }

  /** Output-binding calls the app made on `name`. */
  bindingCalls(name: string): TestingBinding['calls'] {
    return this.binding(name).calls;
  }

  private binding(name: string): TestingBinding {
    return this.get(ComponentRuntime).get<TestingBinding>('bindings', name).driver;
  }

  // ---- configuration ------------------------------------------------------

  /**
   * Writes configuration items (`{ key: 'value' }` or `{ key: { value, version, metadata } }`;
   * a missing version counts up) and resolves once every subscriber, `@OnConfigurationChange` handlers included, ran.
   */
  setConfiguration(store: string, items: Record<string, InMemoryConfigurationInput>): Promise<void> {
    return this.configurationStore(store).set(items);
  }

  /** Deletes configuration keys; subscribers get them as empty items. */
  deleteConfiguration(store: string, keys: string[]): Promise<void> {
    return this.configurationStore(store).delete(keys);
  }

  private configurationStore(name: string): InMemoryConfigurationStore {
    return this.get(ComponentRuntime).get<InMemoryConfigurationStore>('configuration', name).driver;
  }

  /** Closes the app (drains subscriptions, closes components). */
  async close(): Promise<void> {
    const target = this.nestApp ?? this.moduleRef;
    if ('close' in target) await target.close();
  }
}
