/**
 * Runs the Service Bus AMQP test peer in its own process for the benchmark, so
 * the bench process's `process.cpuUsage()` counts only the client side (SDK
 * and driver), not the broker double. Prints `PORT <n>` once listening.
 */
import { ServiceBusTestPeer } from '../test/support/servicebus-peer';

async function main(): Promise<void> {
  const peer = await ServiceBusTestPeer.start({ autoCreate: 'queue' });
  // The publish side targets topics with no subscriptions: the peer accepts and drops them.
  peer.createTopic('bench-publish-raw');
  peer.createTopic('bench-publish-driver');
  // Event log entries would grow without bound over a long run.
  peer.events.push = () => 0;
  peer.sent.push = () => 0;
  process.stdout.write(`PORT ${peer.address.port}\n`);
  const stop = () => void peer.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
