import { Injectable } from '@nestjs/common';
import { DuplicateBindingHandlerError } from '../errors/bindings.errors';
import { DaprHandlerExplorer, type DiscoveredHandler } from '../handlers/handler-explorer';
import { onBindingOf, type OnBindingMetadata } from './on-binding.decorator';

/** The input-binding side of the handler explorer: one `@OnBinding` method per binding name. */
@Injectable()
export class BindingHandlersExplorer {
  constructor(private readonly explorer: DaprHandlerExplorer) {}

  explore(): Map<string, DiscoveredHandler<OnBindingMetadata>> {
    const found = new Map<string, DiscoveredHandler<OnBindingMetadata>>();
    for (const h of this.explorer.explore('@OnBinding', onBindingOf)) {
      const existing = found.get(h.meta.name);
      if (existing) throw new DuplicateBindingHandlerError(h.meta.name, existing.describe, h.describe);
      found.set(h.meta.name, h);
    }
    return found;
  }
}
