export { ServiceBusTestPeer, type ServiceBusTestPeerOptions } from './servicebus-peer';
export { PeerEntity, type PeerEntityOptions, type PeerEvent, type StoredMessage } from './peer-entity';
