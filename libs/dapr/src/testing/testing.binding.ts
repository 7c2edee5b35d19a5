import { DaprTestingError } from '../errors/testing.errors';
import type { ComponentMetadata } from '../spi/component.spi';
import type { InputBindingHandler, InvokeRequest, InvokeResponse } from '../spi/bindings.spi';
import type { DriverRegistration } from '../spi/driver-registration.spi';
import { TESTING_BINDING_TYPE } from './in-memory-twins';

/** What a test returns for an output-binding call; `data` is encoded like the driver would (JSON unless bytes). */
export interface BindingStubResult {
  data?: unknown;
  metadata?: Record<string, string>;
}

export type BindingStub = (request: { operation: string; data: unknown; metadata: Record<string, string> }) =>
  | BindingStubResult
  | void
  | Promise<BindingStubResult | void>;

/**
 * The twin of every binding under DaprTestingModule: an input binding fires
 * only when the test calls `trigger()` (a cron never ticks by itself, so tests
 * stay deterministic); an output binding records each call and answers from
 * the test's stub, or with no data.
 */
export class TestingBinding {
  name = '';
  originalType = '';
  readonly calls: { operation: string; data: unknown; metadata: Record<string, string> }[] = [];
  stub?: BindingStub;
  private handler?: InputBindingHandler;

  async init(md: ComponentMetadata): Promise<void> {
    this.name = md.name;
    this.originalType = md.properties.originalType ?? '';
  }

  features(): readonly string[] {
    return [];
  }

  operations(): readonly string[] {
    return ['create', 'get', 'delete', 'list', 'query', 'exec', 'post', 'put', 'patch', 'head', 'options', 'trace'];
  }

  async invoke(req: InvokeRequest): Promise<InvokeResponse> {
    const call = { operation: req.operation, data: decode(req.data), metadata: req.metadata };
    this.calls.push(call);
    const result = (await this.stub?.(call)) ?? {};
    return { data: encode(result.data), metadata: result.metadata ?? {} };
  }

  async read(handler: InputBindingHandler): Promise<() => Promise<void>> {
    this.handler = handler;
    return async () => {
      this.handler = undefined;
    };
  }

  /** Delivers one input event to the app's `@OnBinding` handler and returns its answer. */
  async trigger(data?: unknown, metadata: Record<string, string> = {}): Promise<unknown> {
    if (!this.handler) {
      throw new DaprTestingError(`binding "${this.name}" has no @OnBinding handler (or the app is not initialised yet)`);
    }
    const answer = await this.handler({ data: encode(data) ?? new Uint8Array(), metadata });
    return answer ? decode(answer) : undefined;
  }

  async close(): Promise<void> {
    this.handler = undefined;
  }
}

function encode(data: unknown): Uint8Array | undefined {
  if (data === undefined) return undefined;
  if (data instanceof Uint8Array) return data;
  return Buffer.from(typeof data === 'string' ? data : JSON.stringify(data));
}

function decode(data: Uint8Array | undefined): unknown {
  if (!data || data.length === 0) return undefined;
  const text = Buffer.from(data).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Added to the registry of every app that DaprTestingModule runs. */
export const testingBindingDriver: DriverRegistration = { type: TESTING_BINDING_TYPE, create: () => new TestingBinding() };
