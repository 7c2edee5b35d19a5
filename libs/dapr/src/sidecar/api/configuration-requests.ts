import type { ConfigurationItem } from '../../configuration/configuration.interfaces';
import type { AppChannel } from '../app-channel/app-channel';
import { ApiError, apiErrorOf, type StatusTable } from '../http/api-error';
import type { SidecarContext } from '../sidecar-context';

/**
 * daprd's answers on the configuration API: none configured 500, an unknown
 * store 400 (both before the store is asked), a failing store 500 with the
 * operation's code.
 */
const CONFIGURATION_STATUS: StatusTable = {
  ERR_CONFIGURATION_STORE_NOT_CONFIGURED: 500,
  ERR_CONFIGURATION_STORE_NOT_FOUND: 400,
  ERR_MALFORMED_REQUEST: 400,
};

export const configurationApiError = (err: unknown, fallbackCode: 'ERR_CONFIGURATION_GET' | 'ERR_CONFIGURATION_SUBSCRIBE') =>
  apiErrorOf(err, CONFIGURATION_STATUS, fallbackCode);

/** daprd checks the store before calling it, with its own messages. */
export function checkConfigurationStore(ctx: SidecarContext, store: string): void {
  const names = ctx.runtime.names('configuration');
  if (names.length === 0) throw new ApiError(500, 'ERR_CONFIGURATION_STORE_NOT_CONFIGURED', 'configuration stores not configured');
  if (!names.includes(store)) throw new ApiError(400, 'ERR_CONFIGURATION_STORE_NOT_FOUND', `configuration store ${store} not found`);
}

/** An item as components-contrib's `configuration.Item` marshals it: `value`, `version`, `metadata`, each left out when empty. */
export function wireItem(item: ConfigurationItem): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (item.value) out.value = item.value;
  if (item.version) out.version = item.version;
  if (Object.keys(item.metadata).length) out.metadata = item.metadata;
  return out;
}

export function wireItems(items: Record<string, ConfigurationItem>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const key in items) out[key] = wireItem(items[key]);
  return out;
}

/**
 * An update of a subscription made over the HTTP API, delivered as daprd
 * does: for each changed key a `POST /configuration/<store>/<key>` to the app
 * with the whole event `{"id","items"}` as JSON; anything but 200 fails the
 * delivery (the component's inbound policy retries it).
 */
export async function postConfigurationUpdate(channel: AppChannel, store: string, id: string, items: Record<string, ConfigurationItem>): Promise<void> {
  const body = Buffer.from(JSON.stringify({ id, items: wireItems(items) }));
  for (const key of Object.keys(items)) {
    const res = await channel.invoke({
      verb: 'POST',
      path: `/configuration/${encodeURIComponent(store)}/${encodeURIComponent(key)}`,
      headers: { 'content-type': 'application/json' },
      body,
    });
    if (res.status !== 200) throw new Error(`error sending configuration item to application, status ${res.status}`);
  }
}
