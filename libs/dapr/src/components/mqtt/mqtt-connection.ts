import type { Logger } from '@nestjs/common';
import type { IClientOptions, MqttClient } from 'mqtt';
import { loadPackage } from '../../spi/kit/load-package';
import { withTimeout } from '../../spi/kit/timeout';
import { metadataError, type MetadataOrigin } from '../../spi/kit/metadata';

type MqttJs = typeof import('mqtt');

/** How long Dapr waits for a connect, a subscribe or a publish (`defaultWait` of pubsub.mqtt3). */
export const MQTT_WAIT_MS = 20_000;

/** Where and how to connect, from Dapr's `url`, `cleanSession` and TLS metadata. */
export interface MqttConnectionSettings {
  protocol: 'mqtt' | 'mqtts' | 'ws' | 'wss';
  host: string;
  /** Absent: mqtt.js' default for the protocol (1883, 8883, 80, 443). */
  port?: number;
  /** WebSocket path. */
  path?: string;
  username?: string;
  password?: string;
  clean: boolean;
  ca?: string;
  cert?: string;
  key?: string;
}

/**
 * Dapr's URL scheme compatibility: `tcp` and `mqtt` are plain TCP; `ssl`,
 * `mqtts`, `tcps` and `tls` are TLS; `ws` / `wss` WebSockets. User name and
 * password come from the URL's user info.
 */
const SCHEMES: Record<string, MqttConnectionSettings['protocol']> = {
  tcp: 'mqtt',
  mqtt: 'mqtt',
  ssl: 'mqtts',
  mqtts: 'mqtts',
  tcps: 'mqtts',
  tls: 'mqtts',
  ws: 'ws',
  wss: 'wss',
};

export function parseMqttConnection(
  md: MetadataOrigin,
  m: { url: string; cleanSession: boolean; caCert?: string; clientCert?: string; clientKey?: string },
): MqttConnectionSettings {
  let url: URL;
  try {
    url = new URL(m.url);
  } catch {
    throw metadataError(md, 'url', 'is not a URL (expected tcp://host:port)');
  }
  const protocol = SCHEMES[url.protocol.replace(/:$/, '').toLowerCase()];
  if (!protocol) throw metadataError(md, 'url', `has scheme "${url.protocol}"; expected one of ${Object.keys(SCHEMES).join(', ')}`);
  if (!url.hostname) throw metadataError(md, 'url', 'has no host');
  return {
    protocol,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : undefined,
    path: protocol === 'ws' || protocol === 'wss' ? url.pathname || '/' : undefined,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    clean: m.cleanSession,
    ca: pem(md, 'caCert', m.caCert),
    cert: pem(md, 'clientCert', m.clientCert),
    key: pem(md, 'clientKey', m.clientKey),
  };
}

/** Dapr refuses a certificate or key field that holds no PEM block. */
function pem(md: MetadataOrigin, field: string, value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?-----END [A-Z0-9 ]+-----/.test(value)) throw metadataError(md, field, 'is not PEM');
  return value;
}

/**
 * Opens an MQTT 3.1.1 connection with the options Dapr gives paho: the
 * client id, the clean-session flag, automatic reconnects, and TLS. `prepare`
 * gets the client before the socket opens, so a driver can take over message
 * handling before the broker delivers anything it kept for the session, and
 * can end the client (`closeMqtt`) if it is closed while still connecting.
 * Resolves once the broker accepted the connection; fails after Dapr's 20 s,
 * at once when the broker refuses it (bad credentials, client id rejected),
 * or when the client is ended first.
 */
export async function openMqtt(
  componentType: string,
  s: MqttConnectionSettings,
  clientId: string,
  logger: Logger,
  prepare?: (client: MqttClient) => void,
): Promise<MqttClient> {
  const mqtt = await loadPackage<MqttJs>(componentType, 'mqtt');
  const options: IClientOptions = {
    protocol: s.protocol,
    host: s.host,
    port: s.port,
    path: s.path,
    username: s.username,
    password: s.password,
    clientId,
    clean: s.clean,
    protocolVersion: 4,
    // paho's defaults, as Dapr leaves them.
    keepalive: 30,
    connectTimeout: MQTT_WAIT_MS,
    reconnectPeriod: 1000,
    resubscribe: true,
    manualConnect: true,
    ca: s.ca,
    cert: s.cert,
    key: s.key,
  };
  const client = mqtt.connect(options);
  prepare?.(client);
  let lastError: Error | undefined;
  let wasConnected = false;
  // mqtt.js emits 'error' for socket and protocol errors; without a listener Node would throw them.
  client.on('error', (err) => {
    lastError = err;
    if (wasConnected) logger.warn(`MQTT connection ${clientId}: ${err.message}`);
  });
  client.on('offline', () => {
    if (wasConnected) logger.warn(`connection with the broker lost (client id ${clientId}); reconnecting`);
  });
  client.on('connect', () => {
    // Go (paho, so Dapr) sends TCP segments at once; Node's sockets would hold small ones (a PUBACK) back
    // for the peer's delayed ACK — tens of milliseconds on every delivery of a connection that also publishes.
    (client.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined)?.setNoDelay?.(true);
    if (wasConnected) logger.log(`reconnected to the broker (client id ${clientId})`);
    wasConnected = true;
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no connection to the MQTT broker within ${MQTT_WAIT_MS / 1000} s${lastError ? `: ${lastError.message}` : ''}`)),
        MQTT_WAIT_MS,
      );
      const refused = (err: Error & { code?: unknown }) => {
        // A CONNACK refusal carries a numeric return code; socket errors (a broker still starting) are retried.
        if (typeof err.code === 'number') {
          clearTimeout(timer);
          reject(new Error(`the MQTT broker refused the connection: ${err.message}`));
        }
      };
      client.on('error', refused);
      const ended = () => {
        clearTimeout(timer);
        reject(new Error('the MQTT connection was closed before the broker accepted it'));
      };
      client.once('end', ended);
      client.once('connect', () => {
        clearTimeout(timer);
        client.off('error', refused);
        client.off('end', ended);
        resolve();
      });
      client.connect();
    });
  } catch (err) {
    client.end(true);
    throw err;
  }
  return client;
}

/**
 * Sends DISCONNECT after in-flight publishes settled, forcing the socket shut
 * if that takes too long; a client still connecting (or reconnecting) is
 * ended at once, which stops its reconnect loop.
 */
export async function closeMqtt(client: MqttClient | undefined): Promise<void> {
  if (!client || client.disconnected) return;
  if (!client.connected) {
    await new Promise<void>((resolve) => client.end(true, () => resolve()));
    return;
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => client.end(true, () => resolve()), 2_000);
    client.end(false, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Waits for a publish/subscribe acknowledgement, failing after Dapr's 20 s. */
export function withinMqttWait<T>(what: string, op: Promise<T>): Promise<T> {
  return withTimeout(op, MQTT_WAIT_MS, () => new Error(`${what} timed out after ${MQTT_WAIT_MS / 1000} s`));
}
