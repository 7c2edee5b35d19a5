import { DaprTestingError } from '../errors/testing.errors';
import { InvocationService } from '../invocation/invocation.service';
import type { InvokeOptions } from '../invocation/invocation.interfaces';
import type { NameResolutionService } from '../invocation/name-resolution.service';
import type { OperationRunner } from '../operations/operation-runner';
import type { ResiliencyService } from '../resiliency/resiliency.service';
import type { ComponentRuntime } from '../runtime/component-runtime';
import type { AppStubs } from './app-stubs';

/**
 * InvocationService under DaprTestingModule: calls to a stubbed app id are
 * answered in-process by the test's stub (also for `@InvokeService` clients,
 * which call through this service); any other app id fails with a message
 * that says how to stub it, instead of trying the network.
 */
export class TestingInvocationService extends InvocationService {
  constructor(
    runtime: ComponentRuntime,
    names: NameResolutionService,
    resiliency: ResiliencyService,
    runner: OperationRunner,
    private readonly stubs: AppStubs,
    private readonly passThrough: boolean,
  ) {
    super(runtime, names, resiliency, runner);
  }

  override async invoke<T = unknown>(appId: string, method: string, options: InvokeOptions = {}): Promise<T> {
    if (this.stubs.has(appId)) return (await this.stubs.call(appId, method, options)) as T;
    if (this.passThrough) return super.invoke<T>(appId, method, options);
    throw new DaprTestingError(
      `DaprTestingModule: no stub for app "${appId}" (invoke ${method}); add one with harness.stubApp('${appId}', handler) or the "apps" option`,
    );
  }
}
