/**
 * `nest-dapr/microservices`: `@nestjs/microservices` on Dapr components (needs
 * `@nestjs/microservices`). Recorded in libs/dapr/api/nest-dapr-microservices.api.md.
 */
export { DaprTransport, DAPR_TRANSPORT, type DaprTransportOptions } from './dapr.transport';
export { ClientDapr, type ClientDaprOptions } from './client-dapr';
export { DaprContext, type DaprContextArgs, type DaprRequestInfo } from './dapr.context';
export { DaprRpcException } from './dapr-rpc.exception';
export { patternName } from './pattern-names';
export { MicroserviceConfigError } from '../errors/microservices.errors';
// Shapes these signatures use (the same as `nest-dapr`'s).
export type { CloudEvent, PublishOptions } from '../pubsub/pubsub.interfaces';
