import { Injectable, Optional } from '@nestjs/common';
import { isOutputBinding, type OutputBindingDriver } from '../spi/bindings.spi';
import { DaprError } from '../errors/dapr.error';
import {
  BindingInvokeError,
  BindingNotFoundError,
  BindingOperationNotSupportedError,
} from '../errors/bindings.errors';
import { DaprMetrics } from '../observability/dapr-metrics';
import { daprTracer } from '../observability/dapr-tracer';
import type { ResiliencyPolicy } from '../resiliency/resiliency-policy';
import { ResiliencyService } from '../resiliency/resiliency.service';
import { ComponentRuntime, type LoadedComponent } from '../runtime/component-runtime';
import { decodeBindingData, encodeBindingData } from './binding-codec';

export interface BindingResponse<T> {
  data: T;
  metadata: Record<string, string>;
}

/**
 * Output bindings (Dapr's `POST /v1.0/bindings/{name}`). Each call gets a
 * `bindings/<name>` span whose `traceparent` reaches the component in the
 * request metadata, as Dapr injects it, and Dapr's output binding metrics.
 */
@Injectable()
export class BindingsService {
  private readonly outputs = new Map<
    string,
    { loaded: LoadedComponent<OutputBindingDriver>; ops: Set<string>; list: readonly string[]; policy?: ResiliencyPolicy }
  >();

  constructor(
    private readonly runtime: ComponentRuntime,
    @Optional() private readonly metrics?: DaprMetrics,
    @Optional() private readonly resiliency?: ResiliencyService,
  ) {}

  async invoke<T = unknown>(
    name: string,
    operation: string,
    data?: unknown,
    metadata: Record<string, string> = {},
  ): Promise<BindingResponse<T>> {
    const { loaded, ops, list, policy } = this.output(name);
    if (!ops.has(operation.toLowerCase())) throw new BindingOperationNotSupportedError(name, operation, list);

    const start = performance.now();
    const span = daprTracer.startOutputBindingSpan(name, operation, loaded.type);
    const reqMetadata = daprTracer.injectTraceContext({ ...metadata }, span);
    try {
      const req = { operation, data: encodeBindingData(data), metadata: reqMetadata };
      // Dapr runs output bindings under the component's outbound policy.
      const res = policy ? await policy.execute(() => loaded.driver.invoke(req)) : await loaded.driver.invoke(req);
      daprTracer.endSpan(span);
      this.metrics?.outputBinding(name, operation, true, performance.now() - start);
      return { data: decodeBindingData(res.data, res.contentType) as T, metadata: res.metadata ?? {} };
    } catch (err) {
      daprTracer.endSpan(span, err);
      this.metrics?.outputBinding(name, operation, false, performance.now() - start);
      if (err instanceof DaprError) throw err;
      throw new BindingInvokeError(name, operation, (err as Error)?.message ?? String(err), {}, { cause: err });
    }
  }

  private output(name: string) {
    let entry = this.outputs.get(name);
    if (entry) return entry;
    const loaded = this.runtime.find<OutputBindingDriver>('bindings', name);
    if (!loaded || !isOutputBinding(loaded.driver)) {
      const known = this.runtime.list('bindings').filter((c) => isOutputBinding(c.driver)).map((c) => c.name);
      throw new BindingNotFoundError(name, known, 'output');
    }
    const list = loaded.driver.operations();
    entry = {
      loaded,
      ops: new Set(list.map((o) => o.toLowerCase())),
      list,
      policy: this.resiliency?.policyFor({ kind: 'component', name, direction: 'outbound' }),
    };
    this.outputs.set(name, entry);
    return entry;
  }
}
