import { Logger } from '@nestjs/common';
import { inboundPolicyFor } from '../../handlers/inbound-policy';
import type { InboundOperation } from '../../operations/operation';
import type { OperationRunner } from '../../operations/operation-runner';
import { isInputBinding, type InputBindingDriver, type ReadResponse } from '../../spi/bindings.spi';
import type { ResiliencyService } from '../../resiliency/resiliency.service';
import type { ComponentRuntime, LoadedComponent } from '../../runtime/component-runtime';
import type { AppChannel } from './app-channel';

export interface AppBindingsDeps {
  runtime: ComponentRuntime;
  channel: AppChannel;
  resiliency?: ResiliencyService;
  runner: OperationRunner;
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
  private stopping = false;

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
      const delivery = this.deliveryOf(loaded);
      const stop = await loaded.driver.read((event) => {
        const run = this.deliver(loaded, route, event, delivery);
        this.inFlight.add(run);
        return run.finally(() => this.inFlight.delete(run));
      });
      this.stops.push({ name: c.name, stop });
      this.active.push({ name: c.name, route });
      this.logger.log(`input binding "${c.name}" (${c.type}) → app /${route.replace(/^\//, '')}`);
    }
  }

  /** A delivery of one binding: its inbound policy, a `bindings/<name>` consumer span, input binding metrics. */
  private deliveryOf(loaded: LoadedComponent<InputBindingDriver>): InboundOperation<ReadResponse> {
    const { tracer, metrics } = this.deps.runner;
    return {
      policy: inboundPolicyFor(this.deps.resiliency, loaded.name, () => this.stopping),
      startSpan: (event) => tracer.startInputBindingSpan(loaded.name, event.metadata, loaded.type),
      record: (error, elapsedMs) => metrics.inputBinding(loaded.name, error === undefined, elapsedMs),
    };
  }

  private async deliver(loaded: LoadedComponent<InputBindingDriver>, route: string, event: ReadResponse, delivery: InboundOperation<ReadResponse>): Promise<Uint8Array | void> {
    try {
      // The delivery's span is active here: the trace context travels to the app in the headers.
      return await this.deps.runner.deliver(delivery, event, () =>
        this.deps.channel.deliverBinding(route, event.data, this.deps.runner.tracer.injectTraceContext({ ...event.metadata })),
      );
    } catch (err) {
      this.logger.warn(`input binding "${loaded.name}": ${(err as Error).message}`);
      throw err;
    }
  }

  /** Stops intake and waits (up to `timeoutMs`) for events in flight. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
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
