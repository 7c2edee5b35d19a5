/** Service invocation: InvocationService, declarative clients, name resolution and access control. */
export { InvocationService } from './invocation.service';
export type { InvokeOptions, InvokeHttpMethod } from './invocation.interfaces';
export {
  InvokeService,
  InvokeGet,
  InvokePost,
  InvokePut,
  InvokePatch,
  InvokeDelete,
  PathParam,
  InvokeQuery,
  InvokeBody,
  InvokeHeader,
  remoteCall,
  type InvokeMethodOptions,
} from './invoke-client.decorators';
export { NameResolutionService } from './name-resolution.service';
export { InvocationAccessGuard } from './invocation-access.guard';
export { AccessControlPolicy, type CallerInfo, type AclDecision } from './access-control.policy';
export { CallerIdentity, type SignedCall } from './caller-identity';
export { bodyDigestOf } from './call-proof';
export { issueCredential, verifyCredential, type VerifiedCredential } from './identity-credential';
export { daprHttpsOptions, type DaprHttpsOptions } from './dapr-https-options';
export { loadWorkloadIdentity, type WorkloadIdentity } from './workload-identity';
export { formatSpiffeId, parseSpiffeId, type SpiffeId } from './spiffe-id';
export * from './invocation.constants';
