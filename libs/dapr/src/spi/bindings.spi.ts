import type { Component } from './component.spi';

export interface InvokeRequest {
  operation: string;
  data?: Uint8Array;
  metadata: Record<string, string>;
}

export interface InvokeResponse {
  data?: Uint8Array;
  metadata?: Record<string, string>;
  contentType?: string;
}

export interface OutputBindingDriver extends Component {
  /** Operation names this binding accepts (`create`, `get`, `exec`, `GET`, ...). */
  operations(): readonly string[];
  invoke(req: InvokeRequest): Promise<InvokeResponse>;
}

export interface ReadResponse {
  data: Uint8Array;
  metadata: Record<string, string>;
  contentType?: string;
}

/**
 * Called for every event the source produces. Resolves when the app handled it;
 * rejects to leave the event for the source's own redelivery where it has one.
 */
export type InputBindingHandler = (event: ReadResponse) => Promise<Uint8Array | void>;

export interface InputBindingDriver extends Component {
  /** Starts producing events; the returned function stops intake. */
  read(handler: InputBindingHandler): Promise<() => Promise<void>>;
}

/** A binding component can be input, output or both. */
export type BindingDriver = Partial<OutputBindingDriver> & Partial<InputBindingDriver> & Component;

export function isOutputBinding(driver: object): driver is OutputBindingDriver {
  return typeof (driver as OutputBindingDriver).invoke === 'function';
}

export function isInputBinding(driver: object): driver is InputBindingDriver {
  return typeof (driver as InputBindingDriver).read === 'function';
}
