import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { MicroserviceConfigError } from '../errors/microservices.errors';
import { InvocationError } from '../errors/invocation.errors';
import type { PublishOptions } from '../pubsub/pubsub.interfaces';
import { DaprRpcException } from './dapr-rpc.exception';
import { awaitHost, type MicroservicesHost } from './microservices-host';
import { patternName, topicOf } from './pattern-names';

/** @publicApi */
export interface ClientDaprOptions {
  /** The app whose `@MessagePattern` handlers `send()` invokes. */
  appId?: string;
  /** The pub/sub component `emit()` publishes on (a `{ pubsub, topic }` pattern names its own). */
  pubsub?: string;
  /** Publish options for every `emit()` (`metadata` such as `partitionKey`, `ttlInSeconds`; `contentType`). */
  publish?: PublishOptions;
  /** Deadline of one `send()` (default limits.invokeTimeoutMs). */
  timeoutMs?: number;
}

/** How long the first call waits for DaprModule to attach the client (it does during the app's module init). */
const ATTACH_WAIT_MS = 10_000;

/**
 * A `ClientProxy` over Dapr: `emit(pattern, data)` publishes through
 * `PubSubService` (a CloudEvent on the component's broker; the Observable
 * completes once the broker has it), `send(pattern, data)` invokes app
 * `appId`'s `@MessagePattern(pattern)` through `InvocationService` (name
 * resolution, signed caller identity, resiliency, tracing) and emits its
 * answer. Register it as any client:
 *
 * ```ts
 * ClientsModule.register([{ name: 'CHECKOUT', customClass: ClientDapr, options: { appId: 'checkout', pubsub: 'pubsub' } }])
 * ```
 *
 * The module that registers it must belong to an app that imports DaprModule.
 */
export class ClientDapr extends ClientProxy {
  private host?: MicroservicesHost;
  private attached?: () => void;
  private readonly ready: Promise<void>;

  constructor(readonly options: ClientDaprOptions = {}) {
    super();
    this.ready = new Promise<void>((resolve) => (this.attached = resolve));
    // DaprModule attaches the app's services when it finds this client among the app's providers.
    awaitHost(this, (host) => {
      this.host = host;
      this.attached?.();
    });
  }

  /** Resolves once the app's DaprModule attached this client (during module init). */
  async connect(): Promise<void> {
    if (this.host) return;
    let timer: NodeJS.Timeout | undefined;
    const timeUp = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new MicroserviceConfigError(
              'ClientDapr was not attached to a DaprModule: register it with ClientsModule in an application that imports DaprModule.forRoot',
            ),
          ),
        ATTACH_WAIT_MS,
      );
    });
    try {
      await Promise.race([this.ready, timeUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * `ClientKafka.subscribeToResponseOf`, accepted so code written for Kafka
   * runs unchanged: answers come back on the invocation's HTTP response, so
   * there is no reply topic to subscribe to.
   */
  subscribeToResponseOf(_pattern: unknown): void {}

  close(): void {
    // Connections belong to the app's DaprModule (pools, producers); it closes them at shutdown.
  }

  /** The app's `InvocationService` (what `send()` calls through). */
  unwrap<T>(): T {
    if (!this.host) throw new MicroserviceConfigError('ClientDapr is not connected');
    return this.host.invocation as T;
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    if (!this.host) await this.connect();
    const host = this.host!;
    const { pubsub, topic } = topicOf(packet.pattern, this.options.pubsub, 'ClientDapr.emit');
    await host.pubsub.publish(pubsub, topic, packet.data, this.options.publish);
    return undefined as T;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const appId = this.options.appId;
    if (!appId) {
      callback({ err: new MicroserviceConfigError('ClientDapr.send needs options.appId (the app that answers the @MessagePattern)'), isDisposed: true });
      return () => undefined;
    }
    let cancelled = false;
    let method: string;
    try {
      method = patternName(packet.pattern);
      if (typeof packet.pattern === 'string') method = method.split('/').map(encodeURIComponent).join('/');
    } catch (err) {
      callback({ err, isDisposed: true });
      return () => undefined;
    }
    const host = this.host!;
    host.invocation
      .invoke(appId, method, { httpMethod: 'POST', body: packet.data, timeoutMs: this.options.timeoutMs })
      .then(
        (response) => {
          if (!cancelled) callback({ response, isDisposed: true });
        },
        (err: unknown) => {
          if (cancelled) return;
          const error = err instanceof InvocationError ? new DaprRpcException(err.status, err.body, appId, method, { cause: err }) : err;
          callback({ err: error, isDisposed: true });
        },
      );
    // An unsubscribed send() ignores the answer (an HTTP request in flight is not torn down).
    return () => {
      cancelled = true;
    };
  }
}
