import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * What the broker itself says about its objects, read with `rabbitmqctl`
 * (the management API may not be enabled): the test asserts the topology the
 * driver declared, not what the driver thinks it declared.
 */
export interface BrokerQueue {
  name: string;
  durable: boolean;
  auto_delete: boolean;
  exclusive: boolean;
  arguments: Record<string, unknown>;
}

export interface BrokerExchange {
  name: string;
  type: string;
  durable: boolean;
  auto_delete: boolean;
}

export interface BrokerBinding {
  source_name: string;
  destination_name: string;
  destination_kind: string;
  routing_key: string;
}

async function list<T>(what: string, columns: string[]): Promise<T[]> {
  const { stdout } = await run('rabbitmqctl', [what, '--quiet', '--formatter', 'json', ...columns], { timeout: 60_000 });
  return JSON.parse(stdout) as T[];
}

export async function brokerQueues(prefix: string): Promise<BrokerQueue[]> {
  // rabbitmqctl prints arguments as [name, AMQP type, value] triples.
  const all = await list<Omit<BrokerQueue, 'arguments'> & { arguments: [string, string, unknown][] }>('list_queues', [
    'name',
    'durable',
    'auto_delete',
    'exclusive',
    'arguments',
  ]);
  // Quorum queues print `exclusive` as "".
  return all
    .filter((q) => q.name.startsWith(prefix))
    .map((q) => ({ ...q, exclusive: q.exclusive === true, arguments: Object.fromEntries(q.arguments.map(([k, , v]) => [k, v])) }));
}

export async function brokerExchanges(prefix: string): Promise<BrokerExchange[]> {
  return (await list<BrokerExchange>('list_exchanges', ['name', 'type', 'durable', 'auto_delete'])).filter((e) => e.name.startsWith(prefix));
}

/** Bindings to destinations whose name contains `part`, without the default exchange's implicit ones. */
export async function brokerBindings(part: string): Promise<BrokerBinding[]> {
  return (await list<BrokerBinding>('list_bindings', ['source_name', 'destination_name', 'destination_kind', 'routing_key'])).filter(
    (b) => b.source_name !== '' && b.destination_name.includes(part),
  );
}
