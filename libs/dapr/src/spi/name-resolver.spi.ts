import type { Component } from './component.spi';

export interface ResolveRequest {
  appId: string;
  namespace?: string;
}

export interface AppRegistration {
  appId: string;
  namespace?: string;
  /** `http://host:port` (or https) where the app serves its routes. */
  address: string;
}

export interface NameResolverDriver extends Component {
  /** Registers the running app so that others can resolve it (no-op for static resolvers). */
  register?(registration: AppRegistration): Promise<void>;
  deregister?(): Promise<void>;
  /** Returns one live address for the app id; rejects with a typed error if none. */
  resolve(req: ResolveRequest): Promise<string>;
  /**
   * The same answer without a promise, for resolvers that need no network
   * round trip (a map, a template, a local SQLite file); throws the same typed
   * error. Invocation calls it on every attempt, so it saves a promise per call.
   */
  resolveNow?(req: ResolveRequest): string;
}
