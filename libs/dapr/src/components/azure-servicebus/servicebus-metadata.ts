import { ComponentConfigError } from '../../errors/component-config.error';
import { ServiceBusConnectionStringError } from '../../errors/servicebus.errors';
import type { ComponentMetadata } from '../../spi/component.spi';
import { MetadataReader } from '../../spi/kit/metadata-reader';

/**
 * Component metadata of `pubsub.azure.servicebus.{topics,queues}`, with Dapr's
 * names and defaults (components-contrib `common/component/azure/servicebus`).
 */
export interface ServiceBusSettings {
  connectionString?: string;
  /** Fully qualified namespace for Entra ID auth (`<name>.servicebus.windows.net`). */
  namespaceName?: string;
  /** Optional Entra ID service principal; otherwise DefaultAzureCredential. */
  azureTenantId?: string;
  azureClientId?: string;
  azureClientSecret?: string;
  timeoutInSec: number;
  handlerTimeoutInSec: number;
  lockRenewalInSec: number;
  maxActiveMessages: number;
  maxConcurrentHandlers: number;
  publishMaxRetries: number;
  publishInitialRetryIntervalInMs: number;
  maxRetriableErrorsPerSec: number;
  disableEntityManagement: boolean;
  /** Creation-only: applied when the driver creates an entity (management enabled). */
  maxDeliveryCount?: number;
  lockDurationInSec?: number;
  defaultMessageTimeToLiveInSec?: number;
  autoDeleteOnIdleInSec?: number;
}

export function parseServiceBusSettings(md: ComponentMetadata): ServiceBusSettings {
  const r = new MetadataReader(md.name, md.properties);
  const connectionString = r.string('connectionString');
  const namespaceName = r.string('namespaceName');
  if (connectionString && namespaceName) {
    throw new ComponentConfigError(
      `component "${md.name}": set either "connectionString" or "namespaceName", not both`,
      undefined,
      md.name,
      'connectionString',
    );
  }
  if (!connectionString && !namespaceName) {
    throw new ComponentConfigError(
      `component "${md.name}" needs metadata "connectionString" or "namespaceName"`,
      undefined,
      md.name,
      'connectionString',
    );
  }
  if (connectionString) validateConnectionString(md.name, connectionString);
  const settings: ServiceBusSettings = {
    connectionString,
    namespaceName: namespaceName ? qualifyNamespace(namespaceName) : undefined,
    azureTenantId: r.string('azureTenantId'),
    azureClientId: r.string('azureClientId'),
    azureClientSecret: r.string('azureClientSecret'),
    timeoutInSec: r.int('timeoutInSec', 60, 1),
    handlerTimeoutInSec: r.int('handlerTimeoutInSec', 60, 0),
    lockRenewalInSec: r.int('lockRenewalInSec', 20, 0),
    maxActiveMessages: r.int('maxActiveMessages', 1000, 1),
    maxConcurrentHandlers: r.int('maxConcurrentHandlers', 0, 0),
    publishMaxRetries: r.int('publishMaxRetries', 5, 0),
    publishInitialRetryIntervalInMs: r.int('publishInitialRetryIntervalInMs', 500, 0),
    maxRetriableErrorsPerSec: r.int('maxRetriableErrorsPerSec', 10, 0),
    disableEntityManagement: r.bool('disableEntityManagement', false),
    maxDeliveryCount: r.int('maxDeliveryCount', undefined, 1),
    lockDurationInSec: r.int('lockDurationInSec', undefined, 1),
    // Dapr accepts the component-level `ttlInSeconds` as an alias of defaultMessageTimeToLiveInSec.
    defaultMessageTimeToLiveInSec: r.int('defaultMessageTimeToLiveInSec', undefined, 1) ?? r.int('ttlInSeconds', undefined, 1),
    autoDeleteOnIdleInSec: r.int('autoDeleteOnIdleInSec', undefined, 300),
  };
  return settings;
}

/** `<name>` alone means the public cloud namespace, as the Azure portal shows it. */
function qualifyNamespace(name: string): string {
  const host = name.replace(/^sb:\/\//i, '').replace(/\/+$/, '');
  return host.includes('.') ? host : `${host}.servicebus.windows.net`;
}

/**
 * Checks the parts the SDK needs before handing the string over, so a typo
 * fails start-up with the missing part named and the key never echoed (the
 * SDK's own parse errors can include the input).
 */
export function validateConnectionString(component: string, connectionString: string): void {
  const parts = new Map<string, string>();
  for (const segment of connectionString.split(';')) {
    if (!segment.trim()) continue;
    const eq = segment.indexOf('=');
    if (eq <= 0) throw new ServiceBusConnectionStringError(component, 'a segment is not of the form Key=Value');
    parts.set(segment.slice(0, eq).trim().toLowerCase(), segment.slice(eq + 1).trim());
  }
  const endpoint = parts.get('endpoint');
  if (!endpoint) throw new ServiceBusConnectionStringError(component, 'it has no Endpoint (Endpoint=sb://<namespace>.servicebus.windows.net/)');
  if (!/^sb:\/\/[^/;]+/i.test(endpoint)) {
    throw new ServiceBusConnectionStringError(component, 'Endpoint must start with sb:// followed by the namespace host');
  }
  if (parts.has('sharedaccesssignature')) {
    if (!parts.get('sharedaccesssignature')) throw new ServiceBusConnectionStringError(component, 'SharedAccessSignature is empty');
    return;
  }
  if (!parts.get('sharedaccesskeyname')) {
    throw new ServiceBusConnectionStringError(component, 'it has no SharedAccessKeyName (or SharedAccessSignature)');
  }
  if (!parts.get('sharedaccesskey')) {
    throw new ServiceBusConnectionStringError(component, 'it has no SharedAccessKey');
  }
}

/** ISO 8601 duration the administration client expects (`PT60S`). */
export function isoSeconds(seconds: number): string {
  return `PT${seconds}S`;
}
