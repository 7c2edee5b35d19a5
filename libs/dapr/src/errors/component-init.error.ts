import { DaprError } from './dapr.error';

/** A component failed to initialise (or timed out) and does not ignore errors. */
export class ComponentInitError extends DaprError {
  constructor(
    readonly component: string,
    readonly type: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`component "${component}" (${type}) failed to initialise: ${reason}`, 'ERR_COMPONENT_INIT', options);
  }
}

/** An optional peer package a driver needs is not installed. */
export class MissingPackageError extends DaprError {
  constructor(
    readonly componentType: string,
    readonly packageName: string,
  ) {
    super(
      `component ${componentType} needs the package ${packageName}: npm install ${packageName}`,
      'ERR_MISSING_PACKAGE',
    );
  }
}

/** Asked for a component by name and kind that is not loaded. */
export class ComponentNotFoundError extends DaprError {
  constructor(
    readonly kind: string,
    readonly component: string,
    readonly known: string[],
    errorCode = 'ERR_COMPONENT_NOT_FOUND',
  ) {
    super(
      `${kind} component "${component}" is not configured; known: ${known.length ? known.join(', ') : '(none)'}`,
      errorCode,
    );
  }
}
