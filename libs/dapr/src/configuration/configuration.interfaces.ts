/** One configuration item (the shape of @dapr/dapr's `ConfigurationItem`). */
export interface ConfigurationItem {
  key: string;
  value: string;
  version: string;
  metadata: Record<string, string>;
}

/** What `ConfigurationService.get` returns, as `client.configuration.get` does. */
export interface ConfigurationGetResponse {
  items: Record<string, ConfigurationItem>;
}

/** Receives the items of every change (a deleted key comes with an empty value and version). */
export type ConfigurationHandler = (items: Record<string, ConfigurationItem>) => void | Promise<void>;

/** A running subscription: its id (Dapr's subscription id) and how to stop it. */
export interface ConfigurationSubscription {
  id: string;
  unsubscribe(): Promise<void>;
}
