export { BindingsService, type BindingResponse } from './bindings.service';
export { OnBinding, type OnBindingMetadata } from './on-binding.decorator';
export { DAPR_BINDING_METADATA, DAPR_BINDING_CONTEXT } from './bindings.constants';
export { encodeBindingData, decodeBindingData } from './binding-codec';
