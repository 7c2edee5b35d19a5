import {
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ExternalContextCreator } from '@nestjs/core';
import { isInputBinding, type InputBindingDriver, type ReadResponse } from '../spi/bindings.spi';
import { BindingNotFoundError } from '../errors/bindings.errors';
import { DaprMetrics } from '../observability/dapr-metrics';
import { daprTracer } from '../observability/dapr-tracer';
import type { ResiliencyPolicy } from '../resiliency/resiliency-policy';
import { ResiliencyService } from '../resiliency/resiliency.service';
import { ComponentRuntime, type LoadedComponent } from '../runtime/component-runtime';
import { decodeBindingData, encodeBindingData } from './binding-codec';
import { BindingHandlersExplorer, type DiscoveredBindingHandler } from './binding-handlers.explorer';
import { DAPR_BINDING_CONTEXT } from './bindings.constants';
import { resolveInboundPolicy } from './inbound-policy';

type BoundHandler = (data: unknown, metadata: Record<string, string>) => Promise<unknown>;

const DRAIN_TIMEOUT_MS = 10_000;

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

  constructor(
    private readonly runtime: ComponentRuntime,
    private readonly explorer: BindingHandlersExplorer,
    private readonly contextCreator: ExternalContextCreator,
    @Optional() private readonly metrics?: DaprMetrics,
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
      if (!inputs.has(h.binding)) throw new BindingNotFoundError(h.binding, [...inputs.keys()], 'input');
    }
    for (const [name, loaded] of inputs) {
      const h = handlers.get(name);
      if (!h) {
        this.logger.debug(`input binding "${name}" has no @OnBinding handler; not reading it`);
        continue;
      }
      const policy = resolveInboundPolicy(this.resiliency, name);
      // Bound once: creating the Nest context (pipes, guards, interceptors) per event would cost more than the event.
      const handler = this.bind(h);
      const stop = await loaded.driver.read((event) => this.deliver(loaded, handler, policy, event));
      this.stops.push({ name, stop });
      this.logger.log(`input binding "${name}" (${loaded.type}) → ${h.label}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    const stops = this.stops.splice(0);
    await Promise.all(
      stops.map(({ name, stop }) =>
        stop().catch((err: Error) => this.logger.warn(`stopping input binding "${name}" failed: ${err.message}`)),
      ),
    );
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  private bind(h: DiscoveredBindingHandler): BoundHandler {
    const callback = (h.instance as Record<string, (...args: unknown[]) => unknown>)[h.methodName];
    return this.contextCreator.create(
      h.instance,
      callback,
      h.methodName,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      DAPR_BINDING_CONTEXT,
    ) as BoundHandler;
  }

  private async deliver(
    loaded: LoadedComponent<InputBindingDriver>,
    handler: BoundHandler,
    policy: ResiliencyPolicy,
    event: ReadResponse,
  ): Promise<Uint8Array | void> {
    const start = performance.now();
    const active = daprTracer.startInputBindingSpan(loaded.name, event.metadata, loaded.type);
    // Dapr posts binding data with Content-Type application/json.
    const data = decodeBindingData(event.data, event.contentType ?? 'application/json');
    const run = policy.execute(() => daprTracer.runInSpan(active, () => handler(data, { ...event.metadata })));
    this.inFlight.add(run);
    try {
      const result = await run;
      daprTracer.endSpan(active.span);
      this.metrics?.inputBinding(loaded.name, true, performance.now() - start);
      return result === undefined ? undefined : encodeBindingData(result);
    } catch (err) {
      daprTracer.endSpan(active.span, err);
      this.metrics?.inputBinding(loaded.name, false, performance.now() - start);
      this.logger.warn(`input binding "${loaded.name}" handler failed: ${(err as Error)?.message ?? String(err)}`);
      throw err;
    } finally {
      this.inFlight.delete(run);
    }
  }
}
