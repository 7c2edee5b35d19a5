import type { HttpExchange } from './http-exchange';

export type HttpHandler = (x: HttpExchange) => Promise<void> | void;

interface Route {
  methods: ReadonlySet<string>;
  /** Literal segments, or `:name` parameters. */
  segments: string[];
  /** A final `*name` takes the rest of the path (at least one segment). */
  rest?: string;
  handler: HttpHandler;
}

export type RouteMatch = { handler: HttpHandler; allowed?: undefined } | { handler?: undefined; allowed: string[] };

/**
 * The Dapr API's routes (`/v1.0/state/:store/:key`, `/v1.0/publish/:pubsub/*topic`).
 * Each API registers its own routes, so a new one (lock, configuration) is one
 * more `register(router)` call. Matching splits the path once and compares
 * segments; parameters are URL-decoded, a `*rest` parameter is also kept raw.
 */
export class HttpRouter {
  private readonly routes: Route[] = [];

  add(methods: string | string[], pattern: string, handler: HttpHandler): this {
    const parts = pattern.split('/').filter(Boolean);
    const last = parts[parts.length - 1];
    const rest = last?.startsWith('*') ? last.slice(1) : undefined;
    this.routes.push({
      methods: new Set([methods].flat().map((m) => m.toUpperCase())),
      segments: rest ? parts.slice(0, -1) : parts,
      rest,
      handler,
    });
    return this;
  }

  /** The handler for the request (parameters written into `x`), or the allowed methods when only the verb is wrong. */
  match(x: HttpExchange): RouteMatch | undefined {
    const parts = x.path.split('/');
    // A leading '/' gives an empty first element; trailing '/' an empty last one.
    const segs = parts.slice(1);
    if (segs.length && segs[segs.length - 1] === '') segs.pop();
    let allowed: string[] | undefined;
    for (const r of this.routes) {
      const n = r.segments.length;
      if (r.rest ? segs.length <= n : segs.length !== n) continue;
      let ok = true;
      const params: Record<string, string> = {};
      for (let i = 0; i < n; i++) {
        const p = r.segments[i];
        if (p.charCodeAt(0) === 58 /* : */) {
          if (segs[i] === '') {
            ok = false;
            break;
          }
          params[p.slice(1)] = decode(segs[i]);
        } else if (p !== segs[i]) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (!r.methods.has(x.method)) {
        (allowed ??= []).push(...r.methods);
        continue;
      }
      if (r.rest) {
        const raw = segs.slice(n).join('/');
        x.rest = raw;
        params[r.rest] = decode(raw);
      }
      x.params = params;
      return { handler: r.handler };
    }
    return allowed ? { allowed } : undefined;
  }
}

function decode(s: string): string {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
