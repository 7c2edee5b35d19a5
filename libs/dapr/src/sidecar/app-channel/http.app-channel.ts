import { Pool } from 'undici';
import type Dispatcher from 'undici/types/dispatcher';
import {
  AppDeliveryError,
  type AppBulkDelivery,
  type AppChannel,
  type AppEventDelivery,
  type AppEventStatus,
  type AppInvokeRequest,
  type AppResponse,
  type HeaderMap,
} from './app-channel';
import { parseProgrammaticSubscriptions, type AppSubscription } from './app-subscription';
import { metadataHeaders } from './metadata-headers';
import { waitForPort } from './wait-for-port';

export interface HttpAppChannelOptions {
  appId: string;
  host: string;
  port: number;
  /** APP_API_TOKEN, sent as `dapr-api-token` on every call. */
  appApiToken?: string;
  maxConcurrency?: number;
  warn: (message: string) => void;
}

const SUBSCRIBE_RETRIES = 3;

/**
 * Dapr's app-callback protocol over HTTP: `GET /dapr/subscribe`, CloudEvents
 * POSTed to the subscription routes (status from the answer exactly as
 * daprd's HTTP postman reads it), bulk deliveries, input bindings probed with
 * `OPTIONS /<route>` and POSTed, invocations passed through. One keep-alive
 * undici pool to the app.
 */
export class HttpAppChannel implements AppChannel {
  readonly protocol = 'http' as const;
  private readonly pool: Pool;
  private readonly baseHeaders: Record<string, string>;

  constructor(private readonly options: HttpAppChannelOptions) {
    this.pool = new Pool(`http://${hostForUrl(options.host)}:${options.port}`, {
      keepAliveTimeout: 10_000,
      connections: options.maxConcurrency,
      connect: { timeout: 5_000 },
    });
    this.baseHeaders = options.appApiToken ? { 'dapr-api-token': options.appApiToken } : {};
  }

  waitUntilListening(signal: AbortSignal): Promise<void> {
    const { host, port } = this.options;
    return waitForPort(host, port, signal, () => this.options.warn(`waiting for the app on ${host}:${port}`));
  }

  async subscriptions(): Promise<AppSubscription[]> {
    // daprd asks once at start-up, retrying transport failures a few times.
    let lastError: unknown;
    for (let attempt = 0; attempt <= SUBSCRIBE_RETRIES; attempt++) {
      try {
        const res = await this.request({ method: 'GET', path: '/dapr/subscribe', headers: { ...this.baseHeaders, 'dapr-app-id': this.options.appId } });
        const text = await res.body.text();
        if (res.statusCode === 404) return [];
        if (res.statusCode < 200 || res.statusCode > 299) {
          this.options.warn(`GET /dapr/subscribe answered ${res.statusCode}; no programmatic subscriptions`);
          return [];
        }
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : [];
        } catch {
          this.options.warn('GET /dapr/subscribe did not answer JSON; no programmatic subscriptions');
          return [];
        }
        return parseProgrammaticSubscriptions(json, this.options.warn);
      } catch (err) {
        lastError = err;
        await sleep(500 * 2 ** attempt);
      }
    }
    this.options.warn(`GET /dapr/subscribe failed: ${(lastError as Error)?.message}; no programmatic subscriptions`);
    return [];
  }

  async config(): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await this.request({ method: 'GET', path: '/dapr/config', headers: { ...this.baseHeaders } });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode > 299 || !text) return undefined;
      const json = JSON.parse(text) as unknown;
      return json && typeof json === 'object' ? (json as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  async invoke(req: AppInvokeRequest): Promise<AppResponse> {
    const headers: Record<string, string | string[]> = {};
    for (const k in req.headers) {
      const v = req.headers[k];
      if (v !== undefined) headers[k] = v;
    }
    if (this.options.appApiToken) headers['dapr-api-token'] = this.options.appApiToken;
    const res = await this.request({
      method: req.verb as Dispatcher.HttpMethod,
      path: req.path,
      headers,
      body: req.body.length ? req.body : undefined,
      signal: req.signal,
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers as HeaderMap, body };
  }

  async deliverEvent(d: AppEventDelivery): Promise<AppEventStatus> {
    const headers = metadataHeaders(d.metadata, this.baseHeaders);
    headers['content-type'] = 'application/cloudevents+json';
    if (d.traceparent) headers.traceparent = d.traceparent;
    if (d.tracestate) headers.tracestate = d.tracestate;
    let res: Dispatcher.ResponseData;
    try {
      res = await this.request({ method: 'POST', path: routePath(d.path), headers, body: JSON.stringify(d.event) });
    } catch (err) {
      throw new AppDeliveryError(`error returned from app channel while sending pub/sub event to app: ${(err as Error).message}`);
    }
    const text = await res.body.text();
    const status = res.statusCode;
    if (status >= 200 && status <= 299) {
      let appStatus: unknown;
      try {
        const json = text ? (JSON.parse(text) as unknown) : undefined;
        appStatus = json && typeof json === 'object' && !Array.isArray(json) ? (json as { status?: unknown }).status : undefined;
      } catch {
        return 'SUCCESS';
      }
      if (appStatus === undefined || appStatus === null || appStatus === '' || appStatus === 'SUCCESS') return 'SUCCESS';
      if (appStatus === 'RETRY') return 'RETRY';
      if (appStatus === 'DROP') return 'DROP';
      if (typeof appStatus !== 'string') return 'SUCCESS';
      throw new AppDeliveryError(`unknown status returned from app while processing pub/sub event, status: ${appStatus}`);
    }
    if (status === 404) {
      this.options.warn(`non-retriable error returned from app while processing pub/sub event on ${d.pubsub}/${d.topic}: ${text}. status code returned: 404`);
      return 'DROP';
    }
    throw new AppDeliveryError(
      `retriable error returned from app while processing pub/sub event, topic: ${d.topic}, body: ${text}. status code returned: ${status}`,
      status,
    );
  }

  async deliverBulk(d: AppBulkDelivery): Promise<Map<string, AppEventStatus>> {
    const out = new Map<string, AppEventStatus>();
    const all = (s: AppEventStatus) => {
      for (const e of d.entries) out.set(e.entryId, s);
      return out;
    };
    const envelope = {
      id: crypto.randomUUID(),
      type: 'com.dapr.event.sent.bulk',
      topic: d.topic,
      pubsubname: d.pubsub,
      metadata: d.metadata,
      entries: d.entries,
    };
    const headers = metadataHeaders(d.metadata, this.baseHeaders);
    headers['content-type'] = 'application/json';
    let res: Dispatcher.ResponseData;
    try {
      res = await this.request({ method: 'POST', path: routePath(d.path), headers, body: JSON.stringify(envelope) });
    } catch {
      return all('RETRY');
    }
    const text = await res.body.text();
    if (res.statusCode === 404) return all('DROP');
    if (res.statusCode < 200 || res.statusCode > 299) return all('RETRY');
    let statuses: unknown;
    try {
      statuses = (JSON.parse(text) as { statuses?: unknown }).statuses;
    } catch {
      return all('RETRY');
    }
    // Entries missing from the answer, or with an empty or unknown status, are retried (daprd's bulk rules).
    all('RETRY');
    if (Array.isArray(statuses)) {
      for (const s of statuses as { entryId?: unknown; status?: unknown }[]) {
        const id = typeof s?.entryId === 'string' ? s.entryId : undefined;
        if (id === undefined || !out.has(id)) continue;
        if (s.status === 'SUCCESS' || s.status === 'DROP') out.set(id, s.status);
      }
    }
    return out;
  }

  async handlesBinding(route: string): Promise<boolean> {
    try {
      const res = await this.request({ method: 'OPTIONS', path: routePath(route), headers: { ...this.baseHeaders } });
      await res.body.dump();
      return (res.statusCode >= 200 && res.statusCode <= 299) || res.statusCode === 405;
    } catch {
      return false;
    }
  }

  async deliverBinding(route: string, data: Uint8Array, metadata: Record<string, string>): Promise<Uint8Array | undefined> {
    const headers = metadataHeaders(metadata, this.baseHeaders);
    headers['content-type'] = 'application/json';
    const res = await this.request({ method: 'POST', path: routePath(route), headers, body: data.length ? data : undefined });
    const body = Buffer.from(await res.body.arrayBuffer());
    if (res.statusCode !== 200) {
      throw new AppDeliveryError(`app answered ${res.statusCode} to input binding event on ${route}: ${body.toString('utf8').slice(0, 200)}`, res.statusCode);
    }
    return body.length ? body : undefined;
  }

  async probe(path: string, timeoutMs: number): Promise<boolean> {
    try {
      const res = await this.request({ method: 'GET', path: routePath(path), headers: { ...this.baseHeaders }, signal: AbortSignal.timeout(timeoutMs) });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode <= 299;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => this.pool.destroy());
  }

  private request(opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
    return this.pool.request(opts);
  }
}

function routePath(path: string): string {
  return path.charCodeAt(0) === 47 ? path : `/${path}`;
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}
