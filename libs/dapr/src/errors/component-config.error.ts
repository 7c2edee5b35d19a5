import { DaprError } from './dapr.error';

/** Where a piece of configuration came from, so errors can point at it. */
export interface ConfigSource {
  file?: string;
  line?: number;
}

export function describeSource(source?: ConfigSource): string {
  if (!source?.file) return 'inline options';
  return source.line ? `${source.file}:${source.line}` : source.file;
}

/** Bad component or resource configuration: names the file, component and field. */
export class ComponentConfigError extends DaprError {
  constructor(
    message: string,
    readonly source?: ConfigSource,
    readonly component?: string,
    readonly field?: string,
  ) {
    super(`${describeSource(source)}: ${message}`, 'ERR_COMPONENT_CONFIG');
  }
}

/** A YAML file that does not parse. */
export class ComponentYamlError extends ComponentConfigError {}

/** `spec.type` with no registered driver; the message lists the known types. */
export class UnknownComponentTypeError extends ComponentConfigError {
  constructor(
    readonly type: string,
    readonly version: string,
    readonly knownTypes: string[],
    source?: ConfigSource,
    component?: string,
  ) {
    super(
      `component "${component}" has unknown type ${type}/${version}; known types: ${knownTypes.join(', ')}`,
      source,
      component,
      'spec.type',
    );
  }
}

/** A metadata field a driver requires is absent. */
export class MissingMetadataError extends ComponentConfigError {
  constructor(component: string, field: string, source?: ConfigSource) {
    super(`component "${component}" is missing required metadata "${field}"`, source, component, field);
  }
}

/** Two components share one name. */
export class DuplicateComponentError extends ComponentConfigError {
  constructor(name: string, first?: ConfigSource, second?: ConfigSource) {
    super(
      `component name "${name}" is defined twice: in ${describeSource(first)} and in ${describeSource(second)}`,
      second,
      name,
      'metadata.name',
    );
  }
}
