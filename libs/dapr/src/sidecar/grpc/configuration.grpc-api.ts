import type * as GrpcJs from '@grpc/grpc-js';
import type { ConfigurationItem } from '../../configuration/configuration.interfaces';
import { checkConfigurationStore, configurationApiError } from '../api/configuration-requests';
import type { SidecarContext } from '../sidecar-context';
import type { GrpcHandler } from './dapr.grpc-api';

type Metadata = Record<string, string>;
interface ConfigurationRequest {
  storeName: string;
  keys: string[];
  metadata: Metadata;
}

/** A server-streaming method: runs until the stream ends; rejects with the error to end it with. */
export type GrpcStreamHandler = (call: GrpcJs.ServerWritableStream<any, unknown>) => Promise<void>;

/** `commonv1pb.ConfigurationItem` (proto3: empty fields are the defaults). */
function grpcItems(items: Record<string, ConfigurationItem>): Record<string, { value: string; version: string; metadata: Metadata }> {
  const out: Record<string, { value: string; version: string; metadata: Metadata }> = {};
  for (const key in items) out[key] = { value: items[key].value, version: items[key].version, metadata: items[key].metadata };
  return out;
}

/**
 * The configuration part of `dapr.proto.runtime.v1.Dapr`, as daprd serves it:
 * GetConfiguration; SubscribeConfiguration, a stream whose first message
 * carries only the subscription id and each later one the changed items,
 * ending (and unsubscribing) when the client goes away; and the deprecated
 * UnsubscribeConfiguration, which ends the stream of that id. The `Alpha1`
 * names are the same methods.
 */
export function configurationGrpcApi(ctx: SidecarContext): { unary: Record<string, GrpcHandler>; streams: Record<string, GrpcStreamHandler> } {
  /** Ends the stream of each live subscription id (UnsubscribeConfiguration). */
  const streams = new Map<string, () => void>();

  async function getConfiguration(req: ConfigurationRequest) {
    checkConfigurationStore(ctx, req.storeName);
    let res;
    try {
      res = await ctx.configuration.get(req.storeName, req.keys, req.metadata);
    } catch (err) {
      throw configurationApiError(err, 'ERR_CONFIGURATION_GET');
    }
    return { items: grpcItems(res.items) };
  }

  async function subscribeConfiguration(call: GrpcJs.ServerWritableStream<ConfigurationRequest, unknown>): Promise<void> {
    const req = call.request;
    checkConfigurationStore(ctx, req.storeName);
    let ready = false;
    const early: Record<string, ConfigurationItem>[] = [];
    let id = '';
    const send = (items: Record<string, ConfigurationItem>) => {
      if (!call.writable) return;
      call.write({ id, items: grpcItems(items) });
    };
    let sub;
    try {
      // daprd sorts the keys of a stream subscription.
      sub = await ctx.configuration.subscribe(req.storeName, [...req.keys].sort(), (items) => (ready ? send(items) : void early.push(items)), req.metadata);
    } catch (err) {
      throw configurationApiError(err, 'ERR_CONFIGURATION_SUBSCRIBE');
    }
    id = sub.id;
    const ended = new Promise<void>((resolve) => {
      streams.set(id, resolve);
      call.once('cancelled', resolve);
      call.once('close', resolve);
      call.once('error', resolve);
    });
    // The id first (clients keep it for UnsubscribeConfiguration), then what arrived meanwhile.
    call.write({ id, items: {} });
    ready = true;
    for (const items of early.splice(0)) send(items);
    await ended;
    streams.delete(id);
    await sub.unsubscribe().catch(() => undefined);
  }

  async function unsubscribeConfiguration(req: { storeName: string; id: string }) {
    const end = streams.get(req.id);
    if (!end) return { ok: false, message: `failed to unsubscribe to configuration request ${req.id}: subscription does not exist` };
    streams.delete(req.id);
    end();
    return { ok: true, message: '' };
  }

  return {
    unary: {
      GetConfiguration: getConfiguration,
      GetConfigurationAlpha1: getConfiguration,
      UnsubscribeConfiguration: unsubscribeConfiguration,
      UnsubscribeConfigurationAlpha1: unsubscribeConfiguration,
    },
    streams: {
      SubscribeConfiguration: subscribeConfiguration,
      SubscribeConfigurationAlpha1: subscribeConfiguration,
    },
  };
}
