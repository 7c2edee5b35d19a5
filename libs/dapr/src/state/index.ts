export { StateService } from './state.service';
export { StateStore, getStateStoreToken } from './state-store.decorator';
export { StateStoreHandle } from './state-store.handle';
export { DAPR_STATE_POLICY_RESOLVER, type StatePolicyResolver } from './state-policy';
export type {
  StateItem,
  StateBulkItem,
  StateSaveItem,
  StateGetOptions,
  StateDeleteOptions,
  StateDeleteItem,
  StateGetBulkOptions,
  StateSaveOptions,
  StateSaveItemOptions,
  StateOperation,
  StateQuery,
  StateQueryResponse,
  StateConcurrencyMode,
  StateConsistencyMode,
} from './state.interfaces';
