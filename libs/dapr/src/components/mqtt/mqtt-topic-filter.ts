/**
 * An MQTT topic filter as one connection's router sees it. Every message of
 * a connection arrives through one callback, so the driver must find the
 * subscription a PUBLISH belongs to, as Dapr's `handlerForTopic` does:
 * an exact filter first, then the filter behind a shared subscription
 * (`$share/<group>/<filter>`, whose messages carry the bare topic), then
 * wildcard filters (`+` one level, `#` this level and everything below).
 */
export class MqttTopicFilter {
  /** The filter without a `$share/<group>/` prefix. */
  readonly bare: string;
  readonly shared: boolean;
  private readonly levels?: string[];

  constructor(readonly filter: string) {
    const share = /^\$share\/[^/]*\/(.+)$/.exec(filter);
    this.shared = !!share;
    this.bare = share ? share[1] : filter;
    if (/(^|\/)[+#](\/|$)/.test(this.bare)) this.levels = this.bare.split('/');
  }

  get wildcard(): boolean {
    return this.levels !== undefined;
  }

  /** True when a message published to `topic` belongs to this filter. */
  matches(topic: string): boolean {
    if (!this.levels) return topic === this.bare;
    const parts = topic.split('/');
    for (let i = 0; i < this.levels.length; i++) {
      const level = this.levels[i];
      // `#` also matches its parent level: `a/#` matches `a`.
      if (level === '#') return true;
      if (i >= parts.length) return false;
      if (level !== '+' && level !== parts[i]) return false;
    }
    return parts.length === this.levels.length;
  }
}

/** Picks the route of a topic: exact filter, then a shared subscription's bare filter, then wildcards, in subscription order. */
export function routeFor<T extends { filter: MqttTopicFilter }>(routes: Iterable<T>, topic: string): T | undefined {
  let alias: T | undefined;
  let wildcard: T | undefined;
  for (const r of routes) {
    if (r.filter.filter === topic) return r;
    if (!alias && r.filter.shared && !r.filter.wildcard && r.filter.bare === topic) alias = r;
    else if (!wildcard && r.filter.wildcard && r.filter.matches(topic)) wildcard = r;
  }
  return alias ?? wildcard;
}
