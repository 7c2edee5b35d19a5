import { JetStreamPubSub } from '../../libs/dapr/src/components/jetstream/jetstream.pubsub';
import { componentMetadata, uniqueName, waitFor } from './support/broker-test-utils';
import { PrivateNats } from './support/private-nats';

/**
 * Token authentication (Dapr's `token`) against a private nats-server started
 * with `--auth`: the right token connects and moves messages, a wrong or
 * missing one fails init with the server's authorization error.
 */
describe('pubsub.jetstream token authentication', () => {
  const token = uniqueName('tok');
  let server: PrivateNats;

  beforeAll(async () => {
    server = await PrivateNats.start(['--auth', token], { token });
  }, 30_000);

  afterAll(() => server?.stop());

  async function init(props: Record<string, string>): Promise<JetStreamPubSub> {
    const d = new JetStreamPubSub();
    try {
      await d.init(componentMetadata('jsps', 'pubsub.jetstream', { natsURL: server.url, autoCreateStream: 'true', ...props }));
    } catch (err) {
      await d.close();
      throw err;
    }
    return d;
  }

  it('connects with the token and refuses a wrong or missing one', async () => {
    const d = await init({ token });
    try {
      const topic = `${uniqueName('auth')}.t`;
      const got: string[] = [];
      await d.subscribe({ topic, metadata: {} }, async (m) => {
        got.push(new TextDecoder().decode(m.data));
        return 'SUCCESS';
      });
      await d.publish({ topic, data: new TextEncoder().encode('secret hello'), metadata: {} });
      await waitFor(() => got.length === 1, 'the message');
      expect(got).toEqual(['secret hello']);
    } finally {
      await d.close();
    }
    await expect(init({ token: 'wrong' })).rejects.toThrow(/authorization/i);
    await expect(init({})).rejects.toThrow(/authorization/i);
  });
});
