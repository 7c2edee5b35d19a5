import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { ComponentRuntime } from '../runtime/component-runtime';

export interface ComponentStatus {
  type: string;
  status: 'up' | 'down';
  error?: string;
}

export type ReadinessStatus = 'ok' | 'error' | 'shutting_down';

export interface DaprReadiness {
  status: ReadinessStatus;
  appId: string;
  components: Record<string, ComponentStatus>;
}

/**
 * Health of the app's components (Dapr's `/v1.0/healthz`): each component is
 * pinged through `ComponentRuntime.health()`; any down component makes the app
 * not ready, and from `beforeApplicationShutdown` on the app reports
 * `shutting_down` so load balancers stop routing to it while it drains.
 * Errors are shown with secrets masked.
 */
@Injectable()
export class DaprHealthService implements BeforeApplicationShutdown {
  private shuttingDown = false;

  constructor(private readonly runtime: ComponentRuntime) {}

  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Liveness: the process answers. Components do not count (a dead broker should not restart the pod). */
  liveness(): { status: 'ok' | 'shutting_down' } {
    return { status: this.shuttingDown ? 'shutting_down' : 'ok' };
  }

  async readiness(): Promise<DaprReadiness> {
    const components: Record<string, ComponentStatus> = {};
    if (this.shuttingDown) return { status: 'shutting_down', appId: this.runtime.appId, components };
    for (const h of await this.runtime.health()) {
      components[h.name] = h.error
        ? { type: h.type, status: h.status, error: this.runtime.redactor.redact(h.error) }
        : { type: h.type, status: h.status };
    }
    const down = Object.values(components).some((c) => c.status === 'down');
    return {
      status: this.shuttingDown ? 'shutting_down' : down ? 'error' : 'ok',
      appId: this.runtime.appId,
      components,
    };
  }
}
