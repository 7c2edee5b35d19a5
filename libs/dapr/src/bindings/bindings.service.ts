import { Injectable, Optional } from '@nestjs/common';
import { isOutputBinding, type InvokeRequest, type OutputBindingDriver } from '../spi/bindings.spi';
import { DaprError } from '../errors/dapr.error';
import {
  BindingInvokeError,
  BindingNotFoundError,
  BindingOperationNotSupportedError,
} from '../errors/bindings.errors';
import type { OutboundOperation } from '../operations/operation';
import { OperationRunner } from '../operations/operation-runner';
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
/** One invocation of an output binding: what the hooks read. */
interface OutputCall {
  operation: string;
}

@Injectable()
export class BindingsService {
  private readonly outputs = new Map<
    string,
    { loaded: LoadedComponent<OutputBindingDriver>; ops: Set<string>; list: readonly string[]; invoke: OutboundOperation<OutputCall> }
  >();

  constructor(
    private readonly runtime: ComponentRuntime,
    private readonly runner: OperationRunner,
    @Optional() private readonly resiliency?: ResiliencyService,
  ) {}

  async invoke<T = unknown>(
    name: string,
    operation: string,
    data?: unknown,
    metadata: Record<string, string> = {},
  ): Promise<BindingResponse<T>> {
    const output = this.output(name);
    if (!output.ops.has(operation.toLowerCase())) throw new BindingOperationNotSupportedError(name, operation, output.list);
    const driver = output.loaded.driver;
    // Built once, inside the span: its traceparent reaches the component in the metadata, as Dapr injects it.
    let req: InvokeRequest | undefined;
    const res = await this.runner.run(output.invoke, { operation }, (span) =>
      driver.invoke((req ??= { operation, data: encodeBindingData(data), metadata: this.runner.tracer.injectTraceContext({ ...metadata }, span) })),
    );
    return { data: decodeBindingData(res.data, res.contentType) as T, metadata: res.metadata ?? {} };
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
    const { tracer, metrics } = this.runner;
    entry = {
      loaded,
      ops: new Set(list.map((o) => o.toLowerCase())),
      list,
      invoke: {
        // Dapr runs output bindings under the component's outbound policy.
        policy: this.resiliency?.policyFor({ kind: 'component', name, direction: 'outbound' }),
        startSpan: (call) => tracer.startOutputBindingSpan(name, call.operation, loaded.type),
        record: (error, elapsedMs, call) => metrics.outputBinding(name, call.operation, error === undefined, elapsedMs),
        toError: (err, call) =>
          err instanceof DaprError ? err : new BindingInvokeError(name, call.operation, (err as Error)?.message ?? String(err), {}, { cause: err }),
      },
    };
    this.outputs.set(name, entry);
    return entry;
  }
}
