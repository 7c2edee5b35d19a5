import { Logger } from '@nestjs/common';
import { resolveInboundPolicy } from '../../bindings/inbound-policy';
import { isInputBinding, type InputBindingDriver, type ReadResponse } from '../../spi/bindings.spi';
import type { DaprMetrics } from '../../observability/dapr-metrics';
import { daprTracer } from '../../observability/dapr-tracer';
import type { ResiliencyService } from '../../resiliency/resiliency.service';
import type { ComponentRuntime, LoadedComponent } from '../../runtime/component-runtime';
import type { AppChannel } from './app-channel';

export interface AppBindingsDeps {
  runtime: ComponentRuntime;
  channel: AppChannel;
  resiliency?: ResiliencyService;
  metrics?: DaprMetrics;
}

/** An input binding the app receives, for the metadata API. */
export interface ActiveInputBinding {
  name: string;
  route: string;
}

/**
 * Input bindings delivered to the app as daprd delivers them: the route is the
 * component name (or its `route` metadata); `OPTIONS /<route>` answering 2xx or
 * 405 means the app wants it (skipped when `direction` says `input`); each
 * event is POSTed under the component's inbound resiliency policy and only a
 * 200 counts as handled, otherwise the event goes back to the source.
 */
export class AppBindings {
  private readonly logger = new Logger('DaprSidecar');
  private readonly stops: { name: string; stop: () => Promise<void> }[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  readonly active: ActiveInputBinding[] = [];

  constructor(private readonly deps: AppBindingsDeps) {}

  async start(): Promise<void> {
    for (const c of this.deps.runtime.list('bindings')) {
      if (!isInputBinding(c.driver)) continue;
      const props = c.metadata.properties;
      const direction = (prop(props, 'direction') ?? '').toLowerCase();
      if (direction && !direction.includes('input')) continue;
      const route = prop(props, 'route') || c.name;
      const wanted = direction.includes('input') || (await this.deps.channel.handlesBinding(route));
      if (!wanted) {
        this.logger.debug?.(`app does not handle input binding "${c.name}" (OPTIONS /${route}); not reading it`);
        continue;
      }
      const loaded = c as LoadedComponent<InputBindingDriver>;
      const policy = resolveInboundPolicy(this.deps.resiliency, c.name);
      const stop = await loaded.driver.read((event) => {
        const run = this.deliver(loaded, route, event, (fn) => policy.execute(fn));
        this.inFlight.add(run);
        return run.finally(() => this.inFlight.delete(run));
      });
      this.stops.push({ name: c.name, stop });
      this.active.push({ name: c.name, route });
      this.logger.log(`input binding "${c.name}" (${c.type}) → app /${route.replace(/^\//, '')}`);
    }
  }

  private async deliver(
    loaded: LoadedComponent<InputBindingDriver>,
    route: string,
    event: ReadResponse,
    underPolicy: <T>(fn: () => Promise<T>) => Promise<T>,
  ): Promise<Uint8Array | void> {
    const start = performance.now();
    const active = daprTracer.startInputBindingSpan(loaded.name, event.metadata, loaded.type);
    try {
      const metadata = daprTracer.injectTraceContext({ ...event.metadata }, active.span);
      const result = await underPolicy(() => this.deps.channel.deliverBinding(route, event.data, metadata));
      daprTracer.endSpan(active.span);
      this.deps.metrics?.inputBinding(loaded.name, true, performance.now() - start);
      return result;
    } catch (err) {
      daprTracer.endSpan(active.span, err);
      this.deps.metrics?.inputBinding(loaded.name, false, performance.now() - start);
      this.logger.warn(`input binding "${loaded.name}": ${(err as Error).message}`);
      throw err;
    }
  }

  /** Stops intake and waits (up to `timeoutMs`) for events in flight. */
  async stop(timeoutMs: number): Promise<void> {
    const stops = this.stops.splice(0);
    await Promise.all(stops.map(({ name, stop }) => stop().catch((err: Error) => this.logger.warn(`stopping input binding "${name}": ${err.message}`))));
    this.active.length = 0;
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }
}

function prop(props: Record<string, string>, name: string): string | undefined {
  if (name in props) return props[name];
  for (const k in props) if (k.toLowerCase() === name.toLowerCase()) return props[k];
  return undefined;
}
