import { toIsoDuration } from '../../spi/kit/metadata/go-values';
import { ComponentConfigError } from '../../errors/component-config.error';
import { ServiceBusConnectionStringError } from '../../errors/servicebus.errors';
import type { ComponentMetadata } from '../../spi/component.spi';
import { decodeMetadata, metadataError } from '../../spi/kit/metadata';
import { SERVICEBUS_CONNECTION_METADATA } from './servicebus.metadata';

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
  const m = decodeMetadata(SERVICEBUS_CONNECTION_METADATA, md);
  const connectionString = m.connectionString || undefined;
  const namespaceName = m.namespaceName || undefined;
  if (connectionString && namespaceName) {
    throw metadataError(md, 'connectionString', 'cannot be combined with "namespaceName": set either "connectionString" or "namespaceName", not both');
  }
  if (!connectionString && !namespaceName) {
    throw new ComponentConfigError(`component "${md.name}" needs metadata "connectionString" or "namespaceName"`, md.source, md.name, 'connectionString');
  }
  if (connectionString) validateConnectionString(md.name, connectionString);
  return {
    connectionString,
    namespaceName: namespaceName ? qualifyNamespace(namespaceName) : undefined,
    azureTenantId: m.azureTenantId || undefined,
    azureClientId: m.azureClientId || undefined,
    azureClientSecret: m.azureClientSecret || undefined,
    timeoutInSec: m.timeoutInSec,
    handlerTimeoutInSec: m.handlerTimeoutInSec,
    lockRenewalInSec: m.lockRenewalInSec,
    maxActiveMessages: m.maxActiveMessages,
    maxConcurrentHandlers: m.maxConcurrentHandlers,
    publishMaxRetries: m.publishMaxRetries,
    publishInitialRetryIntervalInMs: m.publishInitialRetryIntervalInMs,
    maxRetriableErrorsPerSec: m.maxRetriableErrorsPerSec,
    disableEntityManagement: m.disableEntityManagement,
    maxDeliveryCount: m.maxDeliveryCount,
    lockDurationInSec: m.lockDurationInSec,
    // Dapr accepts the component-level `ttlInSeconds` as an alias of defaultMessageTimeToLiveInSec.
    defaultMessageTimeToLiveInSec: m.defaultMessageTimeToLiveInSec,
    autoDeleteOnIdleInSec: m.autoDeleteOnIdleInSec,
  };
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
/** As Dapr writes entity settings (dapr/kit `Duration.ToISOString`): `PT1H`, not `PT3600S`. */
export function isoSeconds(seconds: number): string {
  return toIsoDuration(seconds);
}
