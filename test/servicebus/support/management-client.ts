/**
 * Child process for servicebus-management.spec.ts: runs one Service Bus driver
 * operation so that its administration client (real @azure/service-bus, ATOM
 * over HTTPS) talks to the test's management endpoint. A separate process
 * because the endpoint's CA is trusted through NODE_EXTRA_CA_CERTS, which Node
 * reads at start-up only.
 *
 *   node -r ./test/support/swc-register.js management-client.ts <type> <properties-json> <subscribe|publish> <entity>
 */
import { ServiceBusQueuesPubSub } from '../../../libs/dapr/src/components/azure-servicebus/servicebus-queues.pubsub';
import { ServiceBusTopicsPubSub } from '../../../libs/dapr/src/components/azure-servicebus/servicebus-topics.pubsub';

async function main(): Promise<void> {
  const [type, props, action, entity] = process.argv.slice(2);
  const driver = type === 'pubsub.azure.servicebus.topics' ? new ServiceBusTopicsPubSub() : new ServiceBusQueuesPubSub();
  await driver.init({ name: 'sb', type, version: 'v1', properties: JSON.parse(props) as Record<string, string>, appId: 'sb-app' });
  // Only the management calls matter; the message link itself has no AMQP peer behind this endpoint.
  const op =
    action === 'subscribe'
      ? driver.subscribe({ topic: entity, metadata: {} }, async () => 'SUCCESS').then((h) => h.stop())
      : driver.publish({ topic: entity, data: Buffer.from('x'), metadata: {} });
  await Promise.race([op.catch((e: Error) => console.error(e.message)), new Promise((r) => setTimeout(r, 5000))]);
  await driver.close().catch(() => undefined);
  process.exit(0);
}

void main();
