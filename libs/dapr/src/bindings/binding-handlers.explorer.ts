import { Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { DuplicateBindingHandlerError } from '../errors/bindings.errors';
import { DAPR_BINDING_METADATA } from './bindings.constants';
import type { OnBindingMetadata } from './on-binding.decorator';

export interface DiscoveredBindingHandler {
  binding: string;
  instance: object;
  methodName: string;
  /** `Class.method`, for logs and errors. */
  label: string;
}

/** Finds `@OnBinding` methods on every provider and controller (pure metadata reading). */
@Injectable()
export class BindingHandlersExplorer {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  explore(): Map<string, DiscoveredBindingHandler> {
    const found = new Map<string, DiscoveredBindingHandler>();
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance = wrapper.instance as object | undefined;
      if (!instance || typeof instance !== 'object' || seen.has(instance)) continue;
      // Request-scoped providers have no static instance to call.
      if (!wrapper.isDependencyTreeStatic()) continue;
      seen.add(instance);
      const proto = Object.getPrototypeOf(instance) as object;
      for (const methodName of this.scanner.getAllMethodNames(proto)) {
        const method = (proto as Record<string, unknown>)[methodName];
        if (typeof method !== 'function') continue;
        const meta = this.reflector.get<OnBindingMetadata | undefined>(DAPR_BINDING_METADATA, method);
        if (!meta) continue;
        const label = `${instance.constructor.name}.${methodName}`;
        const existing = found.get(meta.name);
        if (existing) throw new DuplicateBindingHandlerError(meta.name, existing.label, label);
        found.set(meta.name, { binding: meta.name, instance, methodName, label });
      }
    }
    return found;
  }
}
