import { DaprError } from './dapr.error';

/** `nest-dapr run` was given a flag it does not know, or a value it cannot use; the message names the flag. */
export class CliUsageError extends DaprError {
  constructor(
    message: string,
    readonly flag?: string,
  ) {
    super(message, 'ERR_CLI_USAGE');
  }
}

/** The sidecar (or sidecar mode of the module) was configured in a way that cannot work. */
export class SidecarConfigError extends DaprError {
  constructor(message: string) {
    super(message, 'ERR_SIDECAR_CONFIG');
  }
}
