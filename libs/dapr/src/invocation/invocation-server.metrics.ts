import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Injectable, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DaprMetrics } from '../observability/dapr-metrics';
import { CALLEE_APP_ID_HEADER, CALLER_APP_ID_HEADER } from './invocation.constants';

/**
 * `dapr_http_server_*` for the service invocations this app serves, with
 * Dapr's labels (`app_id`, `method`, `path`, `status`) and byte sizes. It
 * listens on the HTTP server itself, ahead of Nest's handler, so a request the
 * access guard refuses (401/403) is counted like one a route answers; requests
 * without Dapr's invocation headers are the app's own traffic and not counted.
 */
@Injectable()
export class InvocationServerMetrics implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: Server;

  constructor(
    private readonly metrics: DaprMetrics,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost?.httpAdapter?.getHttpServer?.() as Server | undefined;
    if (!server || typeof server.prependListener !== 'function') return;
    this.server = server;
    server.prependListener('request', this.onRequest);
  }

  onApplicationShutdown(): void {
    this.server?.off('request', this.onRequest);
    this.server = undefined;
  }

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (!this.metrics.active) return;
    const headers = req.headers;
    if (headers[CALLEE_APP_ID_HEADER] === undefined && headers[CALLER_APP_ID_HEADER] === undefined) return;
    const start = performance.now();
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const requestBytes = Number(headers['content-length'] ?? 0) || 0;
    res.once('finish', () => {
      const responseBytes = Number(res.getHeader('content-length') ?? 0) || 0;
      this.metrics.httpServerRequest(method, path, res.statusCode, requestBytes, responseBytes, performance.now() - start);
    });
  };
}
