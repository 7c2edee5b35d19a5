import {
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { isInputBinding, type InputBindingDriver, type ReadResponse } from '../spi/bindings.spi';
import { settlesWithin } from '../spi/kit/timeout';
import { BindingNotFoundError } from '../errors/bindings.errors';
import { DRAIN_TIMEOUT_MS } from '../handlers/drain';
import { DaprHandlerBinder, type BoundHandler } from '../handlers/handler-binder';
import { inboundPolicyFor } from '../handlers/inbound-policy';
import type { InboundOperation } from '../operations/operation';
import { OperationRunner } from '../operations/operation-runner';
import { ResiliencyService } from '../resiliency/resiliency.service';
import { ComponentRuntime, type LoadedComponent } from '../runtime/component-runtime';
import { decodeBindingData, encodeBindingData } from './binding-codec';
import { BindingHandlersExplorer } from './binding-handlers.explorer';
import { DAPR_BINDING_CONTEXT } from './bindings.constants';

/**
 * Starts the input bindings that have an `@OnBinding` handler once the app is
 * bootstrapped, and stops intake then drains in-flight events before shutdown.
 * Like Dapr (which probes `OPTIONS /<route>`), an input binding without a
 * handler is not read at all.
 */
@Injectable()
export class InputBindingsManager implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DaprBindings');
  private readonly stops: { name: string; stop: () => Promise<void> }[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(
    private readonly runtime: ComponentRuntime,
    private readonly explorer: BindingHandlersExplorer,
    private readonly binder: DaprHandlerBinder,
    private readonly runner: OperationRunner,
    @Optional() private readonly resiliency?: ResiliencyService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const handlers = this.explorer.explore();
    const inputs = new Map(
      this.runtime
        .list('bindings')
        .filter((c) => isInputBinding(c.driver))
        .map((c) => [c.name, c as LoadedComponent<InputBindingDriver>] as const),
    );
    for (const h of handlers.values()) {
      if (!inputs.has(h.meta.name)) throw new BindingNotFoundError(h.meta.name, [...inputs.keys()], 'input');
    }
    for (const [name, loaded] of inputs) {
      const h = handlers.get(name);
      if (!h) {
        this.logger.debug(`input binding "${name}" has no @OnBinding handler; not reading it`);
        continue;
      }
      const handler = this.binder.bind(h, { contextType: DAPR_BINDING_CONTEXT, argNames: ['data', 'metadata'] });
      const delivery = this.deliveryOf(loaded);
      const stop = await loaded.driver.read((event) => this.deliver(loaded, handler, delivery, event));
      this.stops.push({ name, stop });
      this.logger.log(`input binding "${name}" (${loaded.type}) → ${h.describe}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    const stops = this.stops.splice(0);
    await Promise.all(
      stops.map(({ name, stop }) =>
        stop().catch((err: Error) => this.logger.warn(`stopping input binding "${name}" failed: ${err.message}`)),
      ),
    );
    if (this.inFlight.size === 0) return;
    if (!(await settlesWithin(Promise.allSettled([...this.inFlight]), DRAIN_TIMEOUT_MS))) {
      this.logger.warn(`${this.inFlight.size} input binding handler(s) still running after ${DRAIN_TIMEOUT_MS} ms; closing anyway`);
    }
  }

  /** A delivery of one binding: its inbound policy, a `bindings/<name>` consumer span, `dapr_component_input_binding_*`. */
  private deliveryOf(loaded: LoadedComponent<InputBindingDriver>): InboundOperation<ReadResponse> {
    const { tracer, metrics } = this.runner;
    return {
      policy: inboundPolicyFor(this.resiliency, loaded.name, () => this.stopping),
      startSpan: (event) => tracer.startInputBindingSpan(loaded.name, event.metadata, loaded.type),
      record: (error, elapsedMs) => metrics.inputBinding(loaded.name, error === undefined, elapsedMs),
    };
  }

  private async deliver(
    loaded: LoadedComponent<InputBindingDriver>,
    handler: BoundHandler,
    delivery: InboundOperation<ReadResponse>,
    event: ReadResponse,
  ): Promise<Uint8Array | void> {
    // Dapr posts binding data with Content-Type application/json.
    const data = decodeBindingData(event.data, event.contentType ?? 'application/json');
    const run = this.runner.deliver(delivery, event, () => handler(data, { ...event.metadata }));
    this.inFlight.add(run);
    try {
      const result = await run;
      return result === undefined ? undefined : encodeBindingData(result);
    } catch (err) {
      this.logger.warn(`input binding "${loaded.name}" handler failed: ${(err as Error)?.message ?? String(err)}`);
      throw err;
    } finally {
      this.inFlight.delete(run);
    }
  }
}
